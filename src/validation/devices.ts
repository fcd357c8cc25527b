import { isJsonObject } from '../http/json-body'
import type { Fields } from './field'
import { isBoundedText, isWellFormed, utf8Length } from '../text'
import { isAbsent } from './text'
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

/** The longest FCM registration token, in UTF-8 bytes after trimming. */
export const MAX_FCM_TOKEN_BYTES = 4096
/** The longest client `deviceId`, in UTF-8 bytes. */
export const MAX_DEVICE_ID_BYTES = 256

const fcmTokenField = {
  required: true,
  schema: {
    type: 'string',
    minLength: 1,
    pattern: '\\S',
    description: `The FCM registration token: 1–${MAX_FCM_TOKEN_BYTES} UTF-8 bytes after trimming, no control characters.`,
  },
  errors: { invalid: 'ERR_INVALID_FCM_TOKEN' },
} as const

/** `/registerDevice`'s fields: what the API document shows and the code each check throws. */
export const registerDeviceFields = {
  fcmToken: fcmTokenField,
  platform: {
    schema: { anyOf: [{ type: 'string', enum: PLATFORMS }, { type: 'null' }] },
    errors: { invalid: 'ERR_INVALID_PLATFORM' },
  },
  deviceId: {
    schema: {
      anyOf: [{ type: 'string', maxLength: MAX_DEVICE_ID_BYTES }, { type: 'null' }],
      description: `The app's own name for the device: at most ${MAX_DEVICE_ID_BYTES} UTF-8 bytes.`,
    },
    errors: { invalid: 'ERR_INVALID_DEVICE_ID' },
  },
} as const satisfies Fields

/** `/unregisterDevice`'s fields. */
export const unregisterDeviceFields = { fcmToken: fcmTokenField } as const satisfies Fields

const register = registerDeviceFields

/** Every code `registerDeviceRequest` throws, in the order it checks. */
export const registerDeviceErrors = [
  register.fcmToken.errors.invalid,
  register.platform.errors.invalid,
  register.deviceId.errors.invalid,
] as const

/** Every code `unregisterDeviceRequest` throws. */
export const unregisterDeviceErrors = [unregisterDeviceFields.fcmToken.errors.invalid] as const

/** `/registerDevice`: fcmToken, then platform, then deviceId. */
export const registerDeviceRequest: Validator<RegisterDeviceRequest> = (json) => {
  const request = isJsonObject(json) ? json : {}
  const fcmToken = fcmTokenOf(request)
  const { platform, deviceId } = request
  if (!isAbsent(platform) && !PLATFORMS.includes(platform as Platform)) {
    throw invalid(register.platform.errors.invalid, `platform must be one of: ${PLATFORMS.join(', ')}`)
  }
  if (
    !isAbsent(deviceId) &&
    (typeof deviceId !== 'string' || utf8Length(deviceId) > MAX_DEVICE_ID_BYTES || !isWellFormed(deviceId))
  ) {
    throw invalid(
      register.deviceId.errors.invalid,
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
      fcmTokenField.errors.invalid,
      `fcmToken is required and must be a non-empty string of at most ${MAX_FCM_TOKEN_BYTES} UTF-8 bytes without control characters.`,
    )
  }
  return token
}
