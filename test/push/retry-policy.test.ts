import { describe, expect, it } from 'vitest'
import { classifyFcmResponse, parseRetryAfter } from '../../src/push/fcm-outcome'
import { retryDelaySeconds } from '../../src/push/retry-policy'

describe('retryDelaySeconds', () => {
  it('backs off 60 s × 2^(attempt-1) without Retry-After, capped at an hour', () => {
    expect([1, 2, 3, 4, 5, 7, 20].map((attempt) => retryDelaySeconds(attempt, null))).toEqual([
      60, 120, 240, 480, 960, 3600, 3600,
    ])
  })

  it('takes Retry-After when FCM gave one, within 1 s .. 1 h', () => {
    expect(retryDelaySeconds(3, 5)).toBe(5)
    expect(retryDelaySeconds(1, 0)).toBe(1)
    expect(retryDelaySeconds(1, 86_400)).toBe(3600)
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates; null when absent or unreadable', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(null, now)).toBeNull()
    expect(parseRetryAfter('soon', now)).toBeNull()
  })
})

describe('classifyFcmResponse', () => {
  const error = (status: string, message: string, details: unknown[] = []) =>
    JSON.stringify({ error: { code: 400, status, message, details } })

  it('a 400 with a field violation on message.token alone deactivates; one on another field keeps', () => {
    const violation = (field: string) => ({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field }],
    })
    expect(
      classifyFcmResponse(400, error('INVALID_ARGUMENT', 'bad', [violation('message.token')]), null).kind,
    ).toBe('token-invalid')
    expect(
      classifyFcmResponse(
        400,
        error('INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', [
          violation('message.android.priority'),
        ]),
        null,
      ).kind,
    ).toBe('keep')
  })

  it('a 5xx or 429 without a JSON body is still transient, with its Retry-After', () => {
    expect(classifyFcmResponse(502, '<html>Bad Gateway</html>', '7')).toEqual({
      kind: 'transient',
      reason: 'HTTP 502',
      retryAfterSeconds: 7,
    })
    expect(classifyFcmResponse(429, '', null).kind).toBe('transient')
  })

  it('a 400 without details is ours to fix, never a reason to drop the token', () => {
    expect(classifyFcmResponse(400, 'bad request', null).kind).toBe('keep')
  })
})
