import { Hono } from 'hono'
import { html } from 'hono/html'
import pkg from '../../package.json'
import type { AppEnv } from '../http/context'
import { readFcmConfig } from '../push/fcm-config'

/**
 * `GET /`: a short page for a person who opens the relay's URL (public, no storage): what this is, its
 * identity key, version, whether push is on, and where to go next (the API reference, the OpenAPI document,
 * health). Apps use the API, never this page.
 */
export const landing = new Hono<AppEnv>().get('/', (c) => {
  const identityKey = c.var.serverKey.identityKey
  const push = readFcmConfig(c.env) === null ? 'off' : 'on'
  return c.html(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>BRC-33 message relay</title>
          <style>
            body {
              font:
                16px/1.5 system-ui,
                sans-serif;
              max-width: 44rem;
              margin: 3rem auto;
              padding: 0 1rem;
            }
            code {
              font-size: 0.9em;
              word-break: break-all;
              background: #f3f3f3;
              padding: 0.1em 0.3em;
            }
          </style>
        </head>
        <body>
          <h1>BRC-33 message relay</h1>
          <p>
            This server relays messages between parties who cannot reach each other directly: senders leave
            messages in a recipient's message boxes, recipients list and acknowledge them. Every API request
            is mutually authenticated (BRC-103/104); apps use <code>@bsv/message-box-client</code> or
            <code>AuthFetch</code> from <code>@bsv/sdk</code> with this URL as the host. Live delivery is
            served over socket.io at <code>/socket.io/</code>.
          </p>
          <dl>
            <dt>Identity key</dt>
            <dd><code id="identity-key">${identityKey}</code></dd>
            <dt>Version</dt>
            <dd id="version">${pkg.version}</dd>
            <dt>Push notifications</dt>
            <dd id="push">${push}</dd>
          </dl>
          <p>
            <a href="/docs" id="api-reference">API reference</a> ·
            <a href="/openapi.json" id="openapi">OpenAPI document</a> · <a href="/health">Health</a> ·
            <a href="https://github.com/bitcoin-sv/BRCs/blob/master/peer-to-peer/0033.md">BRC-33</a>
          </p>
        </body>
      </html>`,
  )
})
