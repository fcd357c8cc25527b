import { createApp } from './app'

export { Mailbox } from './objects/mailbox'

export default createApp()
