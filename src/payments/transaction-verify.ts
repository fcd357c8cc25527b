import { Beef, type ChainTracker, type Script, type Transaction } from '@bsv/sdk'
import { TrackerUnavailable } from './chain-tracker'
import type { PaymentLimits } from './limits'
import { PaymentRefused } from './refusal'

/**
 * Parses AtomicBEEF bytes that beef-scan.ts accepted and links the subject to its ancestry the way the
 * SDK's `findAtomicTransaction` does (a transaction with a BUMP gets its merkle path and stops there;
 * otherwise its inputs get their source transactions from the BEEF), but visiting each transaction once:
 * the SDK's linker recurses per input without memory, exponential on diamond-shaped ancestry.
 * @throws PaymentRefused('ERR_INVALID_PAYMENT') when the subject is not in the BEEF.
 */
export function parseAtomicBeef(bytes: Uint8Array, subjectTxid: string): Transaction {
  const beef = Beef.fromBinary(bytes)
  const subject = beef.findTxid(subjectTxid)?.tx
  if (!subject) invalid(`payment.tx does not contain its subject transaction ${subjectTxid}`)
  const visited = new Set<Transaction>()
  const link = (tx: Transaction) => {
    if (visited.has(tx)) return
    visited.add(tx)
    const path = beef.findBump(tx.id('hex'))
    if (path) {
      tx.merklePath = path
      return
    }
    for (const input of tx.inputs) {
      const source = input.sourceTXID === undefined ? undefined : beef.findTxid(input.sourceTXID)?.tx
      if (source) {
        input.sourceTransaction = source
        link(source)
      }
    }
  }
  link(subject)
  return subject
}

// Weights of the opcodes whose cost grows with their operands or is a signature check; the rest of an
// evaluation is bounded by the script bytes. OP_CHECKMULTISIG counts its 20 possible keys.
const OPCODE_COST = new Map<number, number>([
  ...[0x7e, 0x7f, 0x80, 0x81].map((op) => [op, 1] as const), // CAT SPLIT NUM2BIN BIN2NUM
  ...[0x95, 0x96, 0x97, 0x98, 0x99].map((op) => [op, 1] as const), // MUL DIV MOD LSHIFT RSHIFT
  ...[0xa6, 0xa7, 0xa8, 0xa9, 0xaa].map((op) => [op, 1] as const), // RIPEMD160 SHA1 SHA256 HASH160 HASH256
  [0xac, 1], // CHECKSIG
  [0xad, 1], // CHECKSIGVERIFY
  [0xae, 20], // CHECKMULTISIG
  [0xaf, 20], // CHECKMULTISIGVERIFY
  ...[0xb3, 0xb4, 0xb5, 0xb6, 0xb7].map((op) => [op, 1] as const), // SUBSTR LEFT RIGHT LSHIFTNUM RSHIFTNUM
])

/**
 * Bounds what `Transaction.verify` will execute: every input of every unmined transaction in the
 * subject's ancestry runs its unlocking script and the locking script it spends. Counted before anything
 * runs, so a crafted BEEF costs a refusal, not seconds of CPU.
 * @throws PaymentRefused('ERR_INVALID_PAYMENT') over a limit, or on an input spending a missing output.
 */
export function checkScriptBudget(subject: Transaction, limits: PaymentLimits): void {
  let inputs = 0
  let bytes = 0
  let cost = 0
  const seen = new Set<Transaction>()
  const queue = [subject]
  for (let tx = queue.pop(); tx; tx = queue.pop()) {
    if (seen.has(tx) || tx.merklePath) continue
    seen.add(tx)
    for (const [i, input] of tx.inputs.entries()) {
      inputs++
      if (inputs > limits.maxExecutedInputs)
        invalid(`payment.tx has more than ${limits.maxExecutedInputs} unconfirmed inputs to verify`)
      const source = input.sourceTransaction
      if (!source) continue // verify() refuses it
      const spent = source.outputs[input.sourceOutputIndex]
      if (!spent) invalid(`input ${i} of ${tx.id('hex')} spends an output its source does not have`)
      for (const script of [input.unlockingScript, spent.lockingScript] as Array<Script | undefined>) {
        if (!script) continue
        bytes += script.toBinary().length
        for (const chunk of script.chunks) cost += OPCODE_COST.get(chunk.op) ?? 0
      }
      queue.push(source)
    }
  }
  if (bytes > limits.maxExecutedScriptBytes)
    invalid(`payment.tx would execute ${bytes} bytes of script (at most ${limits.maxExecutedScriptBytes})`)
  if (cost > limits.maxScriptCost)
    invalid(`payment.tx would execute ${cost} costly opcodes (at most ${limits.maxScriptCost})`)
}

/**
 * SPV-verifies the linked subject with the SDK against `tracker`: scripts of every unmined transaction,
 * merkle roots of the mined ones, no overspend. No fee model (the relay does not police fees).
 * @throws PaymentRefused('ERR_PAYMENT_UNAVAILABLE') when the tracker could not answer, else
 * PaymentRefused('ERR_INVALID_PAYMENT') for any failure.
 */
export async function verifyTransaction(
  subject: Transaction,
  tracker: ChainTracker,
  limits: PaymentLimits,
): Promise<void> {
  let valid: boolean
  try {
    valid = await subject.verify(tracker, undefined, limits.scriptMemoryBytes)
  } catch (error) {
    if (error instanceof TrackerUnavailable) {
      console.error(`payment verification: ${error.message}`)
      throw new PaymentRefused(
        'ERR_PAYMENT_UNAVAILABLE',
        'Payments cannot be verified right now (the chain tracker is unavailable); try again later.',
      )
    }
    const reason = error instanceof Error ? error.message : String(error)
    invalid(`payment.tx does not verify: ${reason.length > 300 ? reason.slice(0, 300) + '…' : reason}`)
  }
  if (!valid)
    invalid('payment.tx does not verify: a script fails or a transaction spends more than its inputs')
}

function invalid(description: string): never {
  throw new PaymentRefused('ERR_INVALID_PAYMENT', description)
}
