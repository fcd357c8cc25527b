/** What a live push carries: the `sendMessage-<R>-<box>` event's data (docs/contract.md "Live delivery"). */
export interface LivePush {
  sender: string
  messageId: string
  /** The body exactly as stored and listed (a paid send's wrapper with this recipient's outputs). */
  body: string
}
