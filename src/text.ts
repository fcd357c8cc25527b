// Text as the relay measures and accepts it, for validation, storage and configuration alike: UTF-8 length,
// well-formedness, and the rule for message box names.

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

/** Whether `text` is 1..maxBytes UTF-8 bytes long, well-formed and free of control characters. */
export function isBoundedText(text: string, maxBytes: number): boolean {
  const bytes = utf8Length(text)
  return bytes >= 1 && bytes <= maxBytes && !CONTROL.test(text) && isWellFormed(text)
}

/** The longest `messageBox` name, in UTF-8 bytes after trimming (docs/contract.md "Limits"). */
export const MAX_MESSAGE_BOX_BYTES = 128

/**
 * The box name reserved for a recipient's rules over all of its boxes (the Sybil issue's `*` rules): never
 * the name of a box a message is sent into, listed from or pushed to.
 */
export const ALL_BOXES = '*'

// Characters that let one box name pass for another (docs/contract.md "Limits"): controls (Cc), format
// characters such as zero-width joiners and bidi overrides (Cf), line and paragraph separators (Zl, Zp),
// private use (Co) and unassigned code points, noncharacters included (Cn). Which code points are
// unassigned is the runtime's Unicode version: a name using a character newer than it is refused.
const CONFUSABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u

/**
 * The contract's `messageBox` rule: a string of 1–128 UTF-8 bytes after trimming, well-formed, in Unicode
 * NFC, without a character of the categories above, and not the reserved `*`. Refused rather than
 * normalized: a name that renders like another must not reach the other's box, and one that is stored
 * must be listed back exactly as it was sent.
 */
export function messageBoxName(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const name = value.trim()
  if (name === ALL_BOXES || !isBoundedText(name, MAX_MESSAGE_BOX_BYTES) || CONFUSABLE.test(name)) return null
  return name.normalize('NFC') === name ? name : null
}

/**
 * A box name as a permission rule or a quote takes it: any name `messageBoxName` accepts, or `*`, the rule
 * over all of the owner's boxes (docs/contract.md "Identities are free").
 */
export function ruleBoxName(value: unknown): string | null {
  return typeof value === 'string' && value.trim() === ALL_BOXES ? ALL_BOXES : messageBoxName(value)
}

/** What `messageBoxName` accepts, for the error descriptions of the routes that take a box name. */
export const MESSAGE_BOX_RULE =
  `messageBox must be a name of 1-${MAX_MESSAGE_BOX_BYTES} UTF-8 bytes in Unicode NFC, without control, ` +
  `format (zero-width, bidi), separator, private-use or unassigned characters; "${ALL_BOXES}" is reserved.`

/** What `ruleBoxName` accepts, for the permission routes' error descriptions. */
export const RULE_BOX_RULE = MESSAGE_BOX_RULE.replace(
  `"${ALL_BOXES}" is reserved`,
  `or "${ALL_BOXES}" for every box`,
)
