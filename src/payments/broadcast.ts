import { ARC, type BroadcastFailure, FetchHttpClient, isBroadcastResponse, type Transaction } from '@bsv/sdk'
import { type PaymentRefusal, refusal } from './refusal'

/** Where payments are broadcast: an ARC-compatible API root (`ARC_URL`) and its optional key (`ARC_API_KEY`). */
export interface Broadcaster {
  url: string
  apiKey?: string
}

/** A broadcaster slower than this is unavailable (docs/contract.md "Payments"). */
export const BROADCAST_TIMEOUT_MS = 10_000

/**
 * Statuses for which ARC answers HTTP 4xx about us, not about the transaction: a wrong key or URL, or
 * throttling. The payer is not at fault, so these are 503, as an unreachable ARC is.
 */
const NOT_ABOUT_THE_TRANSACTION = new Set([401, 403, 404, 405, 407, 408, 429])

/** ARC's status for a transaction in conflict with one it knows (its HTTP 466 says the same). */
const DOUBLE_SPEND = new Set(['DOUBLE_SPEND_ATTEMPTED', '466'])

/**
 * Gives an accepted payment to the network before it is stored (docs/contract.md "Payments": "the network
 * accepts it"), with the SDK's own ARC broadcaster: `POST {url}/v1/tx` with the transaction in extended
 * format. ARC decides: an accepted or already known transaction returns; a double spend it reports is 409
 * ERR_PAYMENT_DOUBLE_SPENT; another refusal (a rejected, malformed or orphan transaction, a fee too low)
 * is 400 ERR_INVALID_PAYMENT with ARC's reason shortened; no answer within 10 s, a 5xx, or an answer that
 * does not name this transaction is 503 ERR_PAYMENT_UNAVAILABLE. Broadcasting the same transaction again
 * is harmless (ARC answers with what it knows), so a send retried after a 503 simply broadcasts again.
 * @returns null when the network took the transaction, else the refusal.
 */
export async function broadcastPayment(
  transaction: Transaction,
  broadcaster: Broadcaster,
): Promise<PaymentRefusal | null> {
  const txid = transaction.id('hex')
  const result = await arcFor(broadcaster).broadcast(transaction)
  if (!isBroadcastResponse(result)) return refusalOf(result)
  // The SDK takes any HTTP 200 as success; an answer about no transaction, or another one, is not one.
  if (result.txid === txid) return null
  console.warn(`broadcast: ARC answered 200 without this transaction (${String(result.txid).slice(0, 64)})`)
  return unavailable('the broadcaster gave no clear answer')
}

/** What ARC's failure means for the payer (see `broadcastPayment`). */
function refusalOf(failure: BroadcastFailure): PaymentRefusal {
  const code = String(failure.code)
  const reason = shorten(failure.description || code)
  if (DOUBLE_SPEND.has(code.toUpperCase())) {
    return refusal(
      'ERR_PAYMENT_DOUBLE_SPENT',
      `The network reports that this payment spends a coin another transaction already spent (${reason}).`,
    )
  }
  // The SDK reports an HTTP failure by its status, and its own request error (timeout, no connection) as '500'.
  const status = /^\d{3}$/.test(code) ? Number(code) : null
  if (status !== null && (status >= 500 || NOT_ABOUT_THE_TRANSACTION.has(status))) {
    console.warn(`broadcast: ARC unavailable (${code}): ${reason}`)
    return unavailable(
      status >= 500 ? 'the broadcaster cannot be reached' : 'the broadcaster refused the relay',
    )
  }
  return refusal('ERR_INVALID_PAYMENT', `The network refused the payment transaction: ${reason}`)
}

function unavailable(why: string): PaymentRefusal {
  return refusal(
    'ERR_PAYMENT_UNAVAILABLE',
    `The payment could not be broadcast (${why}); nothing was stored. Try again later.`,
  )
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}

// One broadcaster per (url, key) for the isolate's life; its HTTP client aborts after the timeout.
const broadcasters = new Map<string, ARC>()

function arcFor({ url, apiKey }: Broadcaster): ARC {
  const key = `${url}\n${apiKey ?? ''}`
  let arc = broadcasters.get(key)
  if (!arc) {
    // A misconfiguration that changes the URL per request must not grow this map without bound.
    if (broadcasters.size >= 8) broadcasters.clear()
    const httpClient = new FetchHttpClient((input, init) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(BROADCAST_TIMEOUT_MS) }),
    )
    // XDeployment-ID names this relay in ARC's logs (the SDK would draw a random id per isolate).
    arc = new ARC(url, { apiKey, httpClient, deploymentId: 'brc33-relay' })
    broadcasters.set(key, arc)
  }
  return arc
}
