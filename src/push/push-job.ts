/** One recipient's pushes for one committed message, as queued on PUSH_QUEUE (docs/contract.md "Devices and push"). */
export interface PushJob {
  /** Whose devices get the push (canonical hex). */
  recipient: string
  /** The message's sender: the push's `originator`. */
  sender: string
  messageId: string
  /** 1 on the first try; a retry of transient failures counts up. */
  attempt: number
  /** On a retry only: the devices (by id) whose push failed transiently. Absent: every active device. */
  deviceIds?: number[]
}
