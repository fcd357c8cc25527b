/** Every table of the relay's D1 database, one per file. */
export * from './devices'
export * from './live-presence'
export * from './message-bodies'
export * from './messages'
export * from './payments'
export * from './permissions'
export * from './spent-outpoints'
