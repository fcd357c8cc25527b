import type { IncomingMessage, ServerResponse } from 'node:http'
import { Transaction } from '@bsv/sdk'
import type { ArcScript, ArcSubmissions } from './arc-api'
import { sendJson as json, serveFake } from './http'

/** A running fake of an ARC broadcaster, on 127.0.0.1. */
export interface FakeArc {
  /** Base URL, for ARC_URL; the control routes of arc-api.ts live here too. */
  url: string
  close(): Promise<void>
}

/**
 * Starts the fake on a free port: it answers `POST /v1/tx` as ARC does, keeping the set of spent outpoints
 * (see arc-api.ts), counts submissions per transaction and answers as a test scripts it. Unref'd: it never
 * keeps a test run alive.
 */
export async function startFakeArc(): Promise<FakeArc> {
  /** outpoint → the txid that spent it. */
  const spent = new Map<string, string>()
  const scripts = new Map<string, ArcScript>()
  const submissions = new Map<string, ArcSubmissions>()

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    const route = `${req.method} ${url.pathname}`
    if (route === 'POST /_script') {
      const { txid, answer } = JSON.parse(body) as { txid: string; answer: ArcScript | null }
      if (answer === null) scripts.delete(txid)
      else scripts.set(txid, answer)
      return json(res, 200, {})
    }
    if (route === 'POST /_spend') {
      const { outpoint, txid } = JSON.parse(body) as { outpoint: string; txid: string }
      spent.set(outpoint, txid)
      return json(res, 200, {})
    }
    if (route === 'GET /_submissions') {
      const txid = url.searchParams.get('txid') ?? ''
      return json(res, 200, submissions.get(txid) ?? { count: 0, authorization: null })
    }
    if (route === 'POST /v1/tx') return submit(req, res, body)
    json(res, 404, { error: 'no such route' })
  }

  async function submit(req: IncomingMessage, res: ServerResponse, body: string) {
    let tx: Transaction
    try {
      const { rawTx } = JSON.parse(body) as { rawTx: string }
      tx = Transaction.fromHexEF(rawTx)
    } catch (error) {
      return arcError(res, 463, `arc error 463: ${String(error)}`)
    }
    const txid = tx.id('hex')
    const seen = submissions.get(txid) ?? { count: 0, authorization: null }
    submissions.set(txid, { count: seen.count + 1, authorization: req.headers.authorization ?? null })

    const script = scripts.get(txid)
    if (script === 'cut') return void req.socket.destroy()
    if (typeof script === 'object' && 'delayMs' in script) {
      await new Promise((resolve) => setTimeout(resolve, script.delayMs))
    }
    if (typeof script === 'object' && 'status' in script) {
      return arcError(res, script.status, script.detail ?? `scripted ${script.status}`, txid)
    }
    if (typeof script === 'object' && 'txStatus' in script) {
      return status(res, txid, script.txStatus, script.extraInfo ?? '')
    }
    const outpoints = tx.inputs.map((input) => `${input.sourceTXID}.${input.sourceOutputIndex}`)
    const competing = [
      ...new Set(
        outpoints.map((o) => spent.get(o)).filter((t): t is string => t !== undefined && t !== txid),
      ),
    ]
    if (competing.length > 0 && script !== 'accept') {
      return status(res, txid, 'DOUBLE_SPEND_ATTEMPTED', 'double spend attempted', competing)
    }
    for (const outpoint of outpoints) if (!spent.has(outpoint)) spent.set(outpoint, txid)
    return status(res, txid, 'SEEN_ON_NETWORK', '')
  }

  return serveFake(handle)
}

/** ARC's 200: the transaction's status as it knows it. */
function status(
  res: ServerResponse,
  txid: string,
  txStatus: string,
  extraInfo: string,
  competingTxs?: string[],
) {
  json(res, 200, {
    blockHash: '',
    blockHeight: 0,
    extraInfo,
    status: 200,
    timestamp: new Date().toISOString(),
    title: 'OK',
    txStatus,
    txid,
    ...(competingTxs ? { competingTxs } : {}),
  })
}

/** ARC's error answer (RFC 7807-style, as its API document gives it). */
function arcError(res: ServerResponse, status: number, detail: string, txid?: string) {
  json(res, status, {
    type: `https://bitcoin-sv.github.io/arc/#/errors?id=_${status}`,
    title: 'Error',
    status,
    detail,
    txid,
  })
}
