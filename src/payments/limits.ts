/**
 * Bounds on the work one payment may cause, all checked before any script runs or the tracker is asked.
 * The SDK's BEEF reader does not check lengths (it reads past the end as zeros), its ancestry linker is
 * exponential on diamond-shaped ancestry, and every input of an unmined transaction costs a signature
 * check (~1–2 ms in workerd): so the bytes are walked by a bounded scanner first (beef-scan.ts) and the
 * executed scripts are costed (transaction-verify.ts).
 */
export interface PaymentLimits {
  /**
   * AtomicBEEF bytes. As a JSON number array a byte costs ~3.6 characters, so 256 KiB is ~0.9 MB of
   * request and of each recipient's stored wrapper: it leaves room for the message under the 2 MiB
   * request limit and the 1.9 MB stored-row cap, and holds a payment funded straight from a large mined
   * parent (an exchange payout), whose whole raw transaction the BEEF must carry.
   */
  maxBeefBytes: number
  /** Transactions in the BEEF (subject + ancestors). A wallet's unconfirmed change chain is a few. */
  maxTransactions: number
  /**
   * BUMPs (merkle paths) in the BEEF. Each distinct block is one tracker request (a subrequest: the Free
   * plan allows 50 per invocation), cached afterwards.
   */
  maxBumps: number
  /** Inputs over all transactions (parsed, not all executed). */
  maxInputs: number
  /** Outputs over all transactions (a mined parent may be a large payout). */
  maxOutputs: number
  /** Merkle tree height of a BUMP: 64 is far above any real block (2^64 transactions). */
  maxTreeHeight: number
  /** Inputs of unmined transactions: each runs its scripts (one signature check for P2PKH). */
  maxExecutedInputs: number
  /** Bytes of the scripts those inputs run (unlocking + the spent locking script); P2PKH is ~132. */
  maxExecutedScriptBytes: number
  /**
   * Weighted count of the costly opcodes those scripts contain (signature checks, hashes, big-number
   * arithmetic, OP_CAT/OP_SPLIT/OP_NUM2BIN; OP_CHECKMULTISIG counts 20). P2PKH costs 2.
   */
  maxScriptCost: number
  /** Stack memory per script evaluation (the SDK's default is 32 MB). */
  scriptMemoryBytes: number
  /** Entries in `payment.outputs`: one delivery output plus one per recipient (100 by default) and slack. */
  maxOutputEntries: number
}

export const DEFAULT_PAYMENT_LIMITS: Readonly<PaymentLimits> = Object.freeze({
  maxBeefBytes: 256 * 1024,
  maxTransactions: 64,
  maxBumps: 32,
  maxInputs: 2_000,
  maxOutputs: 10_000,
  maxTreeHeight: 64,
  maxExecutedInputs: 64,
  maxExecutedScriptBytes: 64 * 1024,
  maxScriptCost: 256,
  scriptMemoryBytes: 64 * 1024,
  maxOutputEntries: 128,
})
