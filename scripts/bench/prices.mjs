// Cloudflare Workers Paid prices, US dollars, as published, for the bench's cost line (cost.mjs).
// Marginal prices only: the plan's $5 a month and its included allowances (10 M Worker requests, 30 M CPU ms,
// 1 M DO requests, 400 000 GB-s, 25 bn rows read, 50 M rows written, 5 GB of each storage) are ignored,
// so the figure is what one more million delivered messages costs a relay already past them.
//
// Read on 2026-11-29 from Cloudflare's pages (through the docs and pages search of this workspace):
// - Workers (Standard usage model), as https://developers.cloudflare.com/workflows/reference/pricing/ quotes it
//   ("identical to Workers Standard pricing"; the Workers page itself,
//   https://developers.cloudflare.com/workers/platform/pricing/, was not in the index): requests "10 million
//   included per month + $0.30 per additional million", CPU "30 million CPU milliseconds included per month
//   + $0.02 per additional million CPU milliseconds".
// - https://developers.cloudflare.com/durable-objects/platform/pricing/: requests "1 million, + $0.15/million"
//   (each RPC method call on a stub is one request; alarm invocations count), duration "400,000 GB-s,
//   + $12.50/million GB-s", billed for the 128 MB an object is allocated while it is active; SQLite backend:
//   rows read "$0.001 / million rows", rows written "$1.00 / million rows", SQL stored data "$0.20/ GB-month";
//   "Each setAlarm() is billed as a single row written", "Deletes are counted as rows written".
// - https://developers.cloudflare.com/d1/platform/pricing/: rows read "$0.001 / million rows", rows written
//   "$1.00 / million rows", storage "$0.75 / GB-mo"; "Indexes will add an additional written row when writes
//   include the indexed column".

export const PRICES_READ_ON = '2026-11-29'

export const PRICES = {
  workerRequestsPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestsPerMillion: 0.15,
  doGbSecondsPerMillion: 12.5,
  /** The memory a Durable Object is billed for while active, in GB (Cloudflare's examples use 128 MB / 1 GB). */
  doBilledGb: 0.128,
  d1RowsReadPerMillion: 0.001,
  d1RowsWrittenPerMillion: 1.0,
  d1StorageGbMonth: 0.75,
  doRowsReadPerMillion: 0.001,
  doRowsWrittenPerMillion: 1.0,
  doStorageGbMonth: 0.2,
}

/**
 * How long stored bytes are paid for (an assumption, not a price): a message waits until acknowledged, and a
 * replay record lives as long as its session (SESSION_MAX_AGE_SECONDS caps it at a day). A day each.
 */
export const STORAGE_DAYS = { message: 1, replayRecord: 1 }
export const DAYS_PER_MONTH = 30.4375
