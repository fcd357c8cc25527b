import { isJsonObject } from '../http/json-body'
import { isAbsent, isBoundedText, isWellFormed, utf8Length } from './text'
import { invalid, type Validator } from './validate'

/** The platforms FCM serves, as the reference and the real client spell them. */
export const PLATFORMS = ['ios', 'android', 'web'] as const
export type Platform = (typeof PLATFORMS)[number]

/** A valid `/registerDevice` request: the token trimmed, absent optionals as null. */
export interface RegisterDeviceRequest {
  fcmToken: string
  deviceId: string | null
  platform: Platform | null
}

/** A valid `/unregisterDevice` request. */
export interface UnregisterDeviceRequest {
  fcmToken: string
}

const MAX_FCM_TOKEN_BYTES = 4096
const MAX_DEVICE_ID_BYTES = 256

/** `/registerDevice`: fcmToken, then platform, then deviceId. */
export const registerDeviceRequest: Validator<RegisterDeviceRequest> = (json) => {
  const request = isJsonObject(json) ? json : {}
  const fcmToken = fcmTokenOf(request)
  const { platform, deviceId } = request
  if (!isAbsent(platform) && !PLATFORMS.includes(platform as Platform)) {
    throw invalid('ERR_INVALID_PLATFORM', 'platform must be one of: ios, android, web')
  }
  if (
    !isAbsent(deviceId) &&
    (typeof deviceId !== 'string' || utf8Length(deviceId) > MAX_DEVICE_ID_BYTES || !isWellFormed(deviceId))
  ) {
    throw invalid(
      'ERR_INVALID_DEVICE_ID',
      `deviceId must be a string of at most ${MAX_DEVICE_ID_BYTES} UTF-8 bytes.`,
    )
  }
  return {
    fcmToken,
    deviceId: isAbsent(deviceId) ? null : deviceId,
    platform: isAbsent(platform) ? null : (platform as Platform),
  }
}

/** `/unregisterDevice`: the same token rule as registration, so any registered token can be removed. */
export const unregisterDeviceRequest: Validator<UnregisterDeviceRequest> = (json) => {
  return { fcmToken: fcmTokenOf(isJsonObject(json) ? json : {}) }
}

/** The trimmed token (the real client trims it too, so both spellings name one registration). */
function fcmTokenOf(request: Record<string, unknown>): string {
  const given = request.fcmToken
  const token = typeof given === 'string' ? given.trim() : null
  if (token === null || !isBoundedText(token, MAX_FCM_TOKEN_BYTES)) {
    throw invalid(
      'ERR_INVALID_FCM_TOKEN',
      `fcmToken is required and must be a non-empty string of at most ${MAX_FCM_TOKEN_BYTES} UTF-8 bytes without control characters.`,
    )
  }
  return token
}
