import type { ArcScript, ArcSubmissions } from '../fakes/arc-api'
import { controlFake } from './fake-control'

/** The control API of a fake ARC at `url()` (test/fakes/arc-api.ts) (workerd tests and the e2e suite in Node). */
export function arcControl(url: () => string) {
  const control = <T>(method: string, path: string, body?: unknown) =>
    controlFake<T>({ name: 'fake ARC', url: url() }, method, path, body)
  return {
    /** Submissions of `txid` are answered as `answer` says until called again with null. */
    script: (txid: string, answer: ArcScript | null) => control('POST', '/_script', { txid, answer }),
    /** The network saw `txid` spend `outpoint` (`<txid>.<vout>`). */
    spend: (outpoint: string, txid: string) => control('POST', '/_spend', { outpoint, txid }),
    /** Submissions of `txid` received, whatever they were answered, and the last one's Authorization. */
    submissions: (txid: string) => control<ArcSubmissions>('GET', `/_submissions?txid=${txid}`),
  }
}
