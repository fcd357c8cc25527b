import type { JsonSchema } from './field'

// C0, DEL and C1 controls: invisible in logs and UIs, so never part of a box name or an id.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

// With the `u` flag a well-formed surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Whether `text` is well-formed Unicode (no lone surrogate). Text that is not would be altered on its way
 * into storage (D1 keeps UTF-8, where a lone surrogate becomes U+FFFD), so it is refused rather than changed.
 */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text)
}

/** Bytes of `text` in UTF-8, without encoding it (bodies may be a MiB). Lone surrogates count 3, as encoded. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/** Whether `value` is a string with something other than whitespace in it. */
export function isNonBlankString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0
}

/** Whether `text` is 1..maxBytes UTF-8 bytes long, well-formed and free of control characters. */
export function isBoundedText(text: string, maxBytes: number): boolean {
  const bytes = utf8Length(text)
  return bytes >= 1 && bytes <= maxBytes && !CONTROL.test(text) && isWellFormed(text)
}

/** The longest `messageBox` name, in UTF-8 bytes after trimming (contract.md "Limits"). */
export const MAX_MESSAGE_BOX_BYTES = 128

/** The contract's `messageBox` rule: a string of 1–128 UTF-8 bytes after trimming, no control characters. */
export function messageBoxName(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const name = value.trim()
  return isBoundedText(name, MAX_MESSAGE_BOX_BYTES) ? name : null
}

/** What `messageBoxName` accepts, for the error descriptions of every route that takes a box name. */
export const MESSAGE_BOX_RULE = `messageBox must be a name of 1-${MAX_MESSAGE_BOX_BYTES} UTF-8 bytes without control characters.`

/**
 * The schema of a box name as requests give it. The byte limit applies after trimming, so it is stated, not
 * given as `maxLength` (which counts code points of the untrimmed string); `\S`: not blank.
 */
export const messageBoxSchema: JsonSchema = {
  type: 'string',
  minLength: 1,
  pattern: '\\S',
  description: `A message box name: 1–${MAX_MESSAGE_BOX_BYTES} UTF-8 bytes after trimming (surrounding whitespace is removed), no control characters, well-formed Unicode.`,
}

/** JSON `null` and absence mean the same for optional fields. */
export function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null
}
