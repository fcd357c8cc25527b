/**
 * The fake ARC's control API, shared by the fake (Node) and the tests that drive it (workerd and e2e). No
 * imports: this file type-checks on both sides. Tests run in parallel against one fake, so everything is
 * keyed by what a test owns: its transactions' ids and its made-up coins.
 *
 * ARC route (what the relay calls, ARC's shape):
 * - `POST /v1/tx` `{"rawTx": "<extended-format hex>"}` → 200 `{txid, txStatus, extraInfo, …}`. The fake keeps
 *   the set of spent outpoints, as the network does: a transaction spending a coin another transaction spent
 *   is 200 `DOUBLE_SPEND_ATTEMPTED` with `competingTxs`; one it knows already is answered with its status
 *   again (`SEEN_ON_NETWORK`); any other is accepted and its coins recorded. A body that is not a
 *   transaction is 463 (ARC's "malformed").
 *
 * Control routes, all JSON:
 * - `POST /_script` `{txid, answer: ArcScript | null}` → how submissions of that transaction are answered
 *   until cleared with `null`
 * - `POST /_spend`  `{outpoint, txid}` → the network saw `txid` spend `outpoint` (`<txid>.<vout>`)
 * - `GET  /_submissions?txid=T` → `{count, authorization}`: submissions of T received, whatever they were
 *   answered, and the last one's Authorization header (null when none was sent)
 */

/**
 * `cut`: the connection is destroyed; `{delayMs}`: answered as usual after that long; `{status}`: that HTTP
 * status with ARC's error body; `{txStatus}`: 200 with that status; `accept`: accepted whatever it spends
 * (a broadcaster that has not seen a conflict yet).
 */
export type ArcScript =
  | 'cut'
  | 'accept'
  | { delayMs: number }
  | { status: number; detail?: string }
  | { txStatus: string; extraInfo?: string }

export interface ArcSubmissions {
  count: number
  authorization: string | null
}
