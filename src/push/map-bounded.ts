/**
 * `items.map(fn)` with at most `limit` calls of `fn` in flight: a Worker may hold only six connections
 * open at once, and a recipient may have twenty devices. Results keep the order of `items`.
 */
export async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
