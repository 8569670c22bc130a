/**
 * A signed-in world with the gateway running as a real detached process (`serve --detach`), its
 * local key read from the key file and registered with the secret scan, and a POST that carries
 * the key. The gateway, messages,
 * bounds and Codex-client tests all start from this.
 */
import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { world, type World } from './harness.js'
import { trackSecrets } from './leaks.js'

export interface ServedGateway {
  w: World
  /** `serve --detach`'s result: `url` (…/v1), `port`, `key_file`, `log_file`, `pid`, … */
  gw: Record<string, any>
  key: string
  /** A POST with the local key: `body` as JSON (a string is sent as it is), `init` for the rest. */
  post: (path: string, body: unknown, init?: RequestInit) => Promise<Response>
}

/** Signs in a new world (with `env`) and starts its gateway on a free port. */
export async function servedGateway(env?: Record<string, string>): Promise<ServedGateway> {
  const w = await world({ env })
  await w.signIn()
  const s = await w.cli(['serve', '--detach', '--port', '0'])
  expect(s.json).toMatchObject({ ok: true, status: 'running' })
  const gw = s.json as Record<string, any>
  const key = JSON.parse(readFileSync(gw.key_file, 'utf8')).key as string
  trackSecrets(() => [key])
  const post = (path: string, body: unknown, init: RequestInit = {}) =>
    fetch(`${gw.url}${path}`, {
      ...init,
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { w, gw, key, post }
}
