/** Every table of the relay's D1 database, one per file. */
export * from './messages'
