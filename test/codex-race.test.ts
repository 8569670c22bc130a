/**
 * The race the Codex store cannot lock out: the Codex CLI refreshes auth.json without taking any
 * lock, so it and this tool can send the same refresh token at once. The issuer answers the
 * loser `refresh_token_reused` while the winner is still about to write its new tokens. Here the
 * test plays codex (a real refresh against the emulator, its auth.json written a moment later)
 * and the skill runs as a real child process.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CLIENT_ID } from './emulator/index.js'
import { tempDir, world, type World } from './helpers/harness.js'
import { leakScan, record, recordAllowed } from './helpers/leaks.js'

let w: World
let codexHome: string
const authPath = () => join(codexHome, 'auth.json')

beforeAll(async () => {
  codexHome = tempDir('cco-codex-race-')
  w = await world({ env: { CHATGPT_CODEX_STORE: 'codex', CODEX_HOME: codexHome } })
  await w.signIn()
})
afterAll(() => w?.close())

/** What codex does: refresh with the stored token, then (later) rewrite auth.json. */
async function codexRefresh(): Promise<() => void> {
  const file = JSON.parse(readFileSync(authPath(), 'utf8'))
  const res = await fetch(`${w.emu.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: CLIENT_ID,
      grant_type: 'refresh_token',
      refresh_token: file.tokens.refresh_token,
    }),
  })
  expect(res.status).toBe(200)
  const t = (await res.json()) as Record<string, string>
  return () => {
    const next = {
      ...file,
      tokens: { ...file.tokens, ...t },
      last_refresh: new Date().toISOString(),
    }
    delete next.tokens.expires_in
    delete next.tokens.token_type
    delete next.tokens.scope
    writeFileSync(`${authPath()}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 })
    renameSync(`${authPath()}.tmp`, authPath())
  }
}

it("a refresh that loses to codex adopts codex's new tokens instead of ending the sign-in", async () => {
  const reuse0 = w.emu.stats.reuse
  const commit = await codexRefresh()
  // codex's write lands once the issuer has refused the skill's refresh, while the skill waits
  // for the winner's tokens: ordered by the emulator's count, not by a guess at process start-up
  // (a fixed 600 ms lost the race to a slow start under load, and the test then saw no reuse).
  let done = false
  const refresh = w.cli(['refresh']).finally(() => (done = true))
  while (!done && w.emu.stats.reuse === reuse0) await new Promise((r) => setTimeout(r, 5))
  commit()
  const r = await refresh
  record(r.stdout)
  expect(w.emu.stats.reuse - reuse0).toBe(1)
  expect(r.json).toMatchObject({ ok: true })
  const s = await w.cli(['status'])
  expect(s.json).toMatchObject({ ok: true, status: 'connected' })
  const tok = await w.cli(['token'])
  recordAllowed(tok.stdout)
  const file = JSON.parse(readFileSync(authPath(), 'utf8'))
  expect(tok.json.token).toBe(file.tokens.access_token)
}, 30_000)

it('a reused token with no new tokens in sight still ends the sign-in, after the wait', async () => {
  const file = JSON.parse(readFileSync(authPath(), 'utf8'))
  await codexRefresh() // rotated upstream, but "codex" never writes: the stored token is dead.
  const t0 = Date.now()
  const r = await w.cli(['refresh'])
  record(r.stdout)
  expect(r.json).toMatchObject({ ok: false, code: 'refresh_token_reused' })
  expect(Date.now() - t0).toBeGreaterThanOrEqual(2_900)
  expect(JSON.parse(readFileSync(authPath(), 'utf8')).tokens.refresh_token).toBe(
    file.tokens.refresh_token,
  )
  const s = await w.cli(['status'])
  expect(s.json).toMatchObject({ ok: true, status: 'reauth_required' })
}, 30_000)

leakScan(import.meta.url)
