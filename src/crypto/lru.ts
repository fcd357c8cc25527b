/**
 * A bounded least-recently-used map: `get` refreshes an entry, `set` evicts the oldest entries
 * beyond `capacity`. Backed by a `Map`, whose iteration order is insertion order.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError('LruCache capacity must be an integer >= 1')
  }

  get size(): number {
    return this.entries.size
  }

  /** The value for `key`, now the most recently used, or undefined. */
  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  /** Stores `value` as the most recently used entry, evicting the least recently used beyond capacity. */
  set(key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    while (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as K)
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key)
  }
}
