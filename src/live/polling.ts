import { encodePollingBody, type EnginePacket } from './engine-io'

/**
 * The long-polling side of one connection, in memory: packets waiting for the client, and the one GET
 * the server holds until it has something to say (docs/live-protocol.md §1.2). Memory is enough: while a
 * client polls, a request is always in flight, so the object is not evicted.
 */
export class PollingOutbox {
  private readonly queue: EnginePacket[] = []
  private held: ((body: string) => void) | null = null
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Set once the client probed a WebSocket: from then on no GET is held (docs/live-protocol.md §1.3 rule 2). */
  private upgrading = false

  /** Queues packets and answers the held GET with them, if one is waiting. */
  send(...packets: EnginePacket[]): void {
    this.queue.push(...packets)
    if (this.held) this.answer()
  }

  /**
   * Answers a GET: at once with what is queued, else when something is (held at most `maxHoldMs`, then
   * a noop). A new GET ends a held one with a noop (the client abandoned it).
   */
  poll(maxHoldMs: number): Promise<string> {
    if (this.held) this.release()
    if (this.upgrading) this.queue.push({ type: 'noop' })
    if (this.queue.length > 0) return Promise.resolve(this.drain())
    return new Promise((resolve) => {
      this.held = resolve
      this.timer = setTimeout(() => this.release(), maxHoldMs)
    })
  }

  /**
   * The client is probing a WebSocket: it waits for its GET in flight (which may not have reached us yet)
   * before it completes the upgrade, so that GET and any later one is answered at once.
   */
  beginUpgrade(): void {
    this.upgrading = true
    this.release()
  }

  /** The probe closed before the client's `5`: polling goes on as before, GETs are held again. */
  abandonUpgrade(): void {
    this.upgrading = false
  }

  /** Ends a held GET with a noop: the client then polls again. */
  release(): void {
    if (!this.held) return
    this.queue.push({ type: 'noop' })
    this.answer()
  }

  /** Everything queued, for the WebSocket that takes over after an upgrade. */
  takeQueued(): EnginePacket[] {
    return this.queue.splice(0)
  }

  private answer(): void {
    const resolve = this.held!
    this.held = null
    if (this.timer !== undefined) clearTimeout(this.timer)
    resolve(this.drain())
  }

  private drain(): string {
    return encodePollingBody(this.queue.splice(0))
  }
}
