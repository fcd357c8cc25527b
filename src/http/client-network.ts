import { toHex } from '../crypto/encoding'

/**
 * A client address's eight IPv6 groups, lowercase and without leading zeros (`::` expanded), or its four
 * IPv4 octets (IPv4-mapped IPv6 as IPv4). The address comes from Cloudflare (`CF-Connecting-IP`), not from
 * the client, so it is well-formed; anything else is taken as is.
 */
function addressParts(ip: string): { family: 4 | 6; parts: string[] } {
  if (ip.includes('.')) return { family: 4, parts: ip.slice(ip.lastIndexOf(':') + 1).split('.') }
  if (!ip.includes(':')) return { family: 4, parts: [ip] }
  const [head = '', tail] = ip.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return { family: 6, parts: groups.map((g) => g.replace(/^0+/, '') || '0') }
}

/** The rate-limit key of a client address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64 prefix. */
export function clientKey(ip: string): string {
  const { family, parts } = addressParts(ip)
  return family === 4 ? parts.join('.') : `${parts.slice(0, 4).join(':')}::/64`
}

/** Where a request without `CF-Connecting-IP` comes from (local tools): the loopback network. */
const LOOPBACK = '127.0.0.1'

/**
 * The client network of an address, as the quotas count senders (docs/contract.md "One network is one
 * sender"): IPv4 by its /24, IPv6 by its /48, which one subscriber or small site typically holds whole.
 */
export function networkPrefix(ip: string | null): string {
  const { family, parts } = addressParts(ip || LOOPBACK)
  return family === 4 ? `${parts.slice(0, 3).join('.')}.0/24` : `${parts.slice(0, 3).join(':')}::/48`
}

/**
 * The network as it is stored: an HMAC of its prefix under a key derived from the server key (16 bytes,
 * hex), so the store never holds an address, and the same network is the same value across requests.
 */
export async function networkId(networkKey: CryptoKey, ip: string | null): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', networkKey, new TextEncoder().encode(networkPrefix(ip)))
  return toHex(new Uint8Array(mac).subarray(0, 16))
}
