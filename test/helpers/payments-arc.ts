import { env } from 'cloudflare:test'
import { arcControl } from './arc-control'

/**
 * The fake ARC (started by test/vitest.config.ts in Node) as tests inside workerd see it. It is shared by
 * every test file running at once, so tests only script their own transactions and coins.
 */
export const fakeArc = arcControl(() => env.ARC_URL)
