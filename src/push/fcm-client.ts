import { AccessTokenError, accessToken, dropAccessToken } from './access-token'
import type { FcmConfig } from './fcm-config'
import { classifyFcmResponse, type FcmOutcome } from './fcm-outcome'

/** What a push announces: which message, from whom. */
export interface PushNotice {
  messageId: string
  sender: string
}

const SEND_TIMEOUT_MS = 10_000

/**
 * The FCM HTTP v1 message for one device (docs/contract.md "Devices and push"). `data` values must be strings;
 * the body is never included (it may be encrypted, and FCM payloads are limited to 4 KiB).
 */
export function fcmMessage(fcmToken: string, notice: PushNotice) {
  return {
    message: {
      token: fcmToken,
      notification: { title: 'New Message', body: notice.messageId },
      data: { messageId: notice.messageId, originator: notice.sender },
      android: { priority: 'high' },
      apns: {
        headers: { 'apns-push-type': 'alert', 'apns-priority': '10' },
        payload: { aps: { 'mutable-content': 1 } },
      },
    },
  }
}

/**
 * Sends one push to one device and classifies FCM's answer. A 401 UNAUTHENTICATED drops the access token,
 * refreshes it and retries once; a second 401 is configuration (`keep`). A network error, or a token
 * endpoint that cannot be reached, is `transient`; a token endpoint that refuses the grant is `keep`.
 */
export async function sendPush(config: FcmConfig, fcmToken: string, notice: PushNotice): Promise<FcmOutcome> {
  const first = await sendOnce(config, fcmToken, notice)
  if (first.outcome.kind !== 'unauthenticated' || first.token === null) return first.outcome
  dropAccessToken(config, first.token)
  const second = await sendOnce(config, fcmToken, notice)
  return second.outcome.kind === 'unauthenticated'
    ? { kind: 'keep', reason: `refused a fresh access token too: ${second.outcome.reason}` }
    : second.outcome
}

async function sendOnce(
  config: FcmConfig,
  fcmToken: string,
  notice: PushNotice,
): Promise<{ outcome: FcmOutcome; token: string | null }> {
  let token: string
  try {
    token = await accessToken(config)
  } catch (error) {
    if (!(error instanceof AccessTokenError)) throw error
    const reason = `no access token: ${error.message}`
    return {
      outcome: error.transient
        ? { kind: 'transient', reason, retryAfterSeconds: null }
        : { kind: 'keep', reason },
      token: null,
    }
  }
  try {
    const res = await fetch(config.sendUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(fcmMessage(fcmToken, notice)),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
    const outcome = classifyFcmResponse(res.status, await res.text(), res.headers.get('retry-after'))
    return { outcome, token }
  } catch (error) {
    return {
      outcome: { kind: 'transient', reason: `FCM unreachable: ${String(error)}`, retryAfterSeconds: null },
      token,
    }
  }
}
