/**
 * The fake chain tracker's control API, shared by the fake (Node) and the tests that drive it (workerd).
 * No imports: this file type-checks on both sides. Tests run in parallel against one fake, so everything
 * is per block height: each test makes up its own blocks at random heights.
 *
 * Tracker routes (what the relay asks, WhatsOnChain's shape):
 * - `GET /block/{height}/header` → 200 `{hash, height, merkleroot}` for a registered block; else 404 with
 *   `Content-Type: application/json` and an **empty body** (what the acceptance fake sends, and what
 *   breaks the SDK's own WhatsOnChain tracker)
 * - `GET /block/headers` → `[{height}]`, the highest registered height
 *
 * Control routes, all JSON:
 * - `POST /_blocks` `{height, merkleroot}` → registers (or replaces) a block
 * - `POST /_fail`   `{height, mode: TrackerFailure | null}` → how header requests for that height fail
 *   until cleared with `null`
 * - `GET  /_requests?height=H` → `{count}`: header requests received for H, whatever they were answered
 */

/** `cut`: the connection is destroyed; a number: that HTTP status; `garbage`: 200 with a non-JSON body. */
export type TrackerFailure = 'cut' | 'garbage' | number
