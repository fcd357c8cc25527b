/** Whether `value` is a JSON array of `min`..`max` bytes: how BRC-103 messages carry payloads and signatures. */
export function isByteArray(value: unknown, min: number, max: number): value is number[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) return false
  for (const b of value) if (!Number.isInteger(b) || b < 0 || b > 255) return false
  return true
}
