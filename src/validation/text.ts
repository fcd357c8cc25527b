import { ALL_BOXES, MAX_MESSAGE_BOX_BYTES } from '../text'
import type { JsonSchema } from './field'

/** Whether `value` is a string with something other than whitespace in it. */
export function isNonBlankString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0
}

/**
 * The schema of a box name as requests give it. The byte limit applies after trimming, so it is stated, not
 * given as `maxLength` (which counts code points of the untrimmed string); `\S`: not blank.
 */
export const messageBoxSchema: JsonSchema = {
  type: 'string',
  minLength: 1,
  pattern: '\\S',
  description:
    `A message box name: 1–${MAX_MESSAGE_BOX_BYTES} UTF-8 bytes after trimming (surrounding whitespace is removed), ` +
    'well-formed Unicode in NFC, with no character of general category Cc, Cf (zero-width, bidi controls), Zl, Zp, ' +
    `Co or Cn; "${ALL_BOXES}" is reserved.`,
}

/** The schema of a box name in a permission rule or a quote: a box name, or `*` for all of the owner's boxes. */
export const ruleBoxSchema: JsonSchema = {
  ...messageBoxSchema,
  description: `${messageBoxSchema.description} Here "${ALL_BOXES}" names every box of the owner: a rule for "${ALL_BOXES}" applies where no rule for the box itself does.`,
}

/** JSON `null` and absence mean the same for optional fields. */
export function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null
}
