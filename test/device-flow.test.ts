/**
 * Issue 3 end to end: the device-code sign-in through real CLI processes against the emulator,
 * counting the exact requests each call makes.
 */
import { readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { world, type World } from './helpers/harness.js'
import { leakScan } from './helpers/leaks.js'

const DEVICE_TOKEN = 'POST /api/accounts/deviceauth/token'
const USERCODE = 'POST /api/accounts/deviceauth/usercode'
const TOKEN = 'POST /oauth/token'
const REVOKE = 'POST /oauth/revoke'

/** Requests the emulator saw while `fn` ran, as "METHOD /path" strings. */
async function requestsDuring<T>(w: World, fn: () => Promise<T>): Promise<[T, string[]]> {
  const before = w.emu.requests.length
  const out = await fn()
  return [out, w.emu.requests.slice(before).map((r) => `${r.method} ${r.path}`)]
}

describe('device-code sign-in through the CLI', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  it('walks status, start, poll x2, status, refresh x2, logout, status with exact requests', async () => {
    const [s0, r0] = await requestsDuring(w, () => w.cli(['status']))
    expect(s0.code).toBe(0)
    expect(s0.json).toMatchObject({ ok: true, status: 'disconnected' })
    expect(r0).toEqual([])

    w.emu.set({ interval: '1' })
    const [st, r1] = await requestsDuring(w, () => w.cli(['start']))
    expect(st.json).toMatchObject({
      ok: true,
      status: 'pending',
      verification_url: `${w.emu.issuer}/codex/device`,
      retry_after_s: 0,
    })
    expect(st.json.user_code).toMatch(/\S/)
    expect(st.json.pending_id).toMatch(/^pl_/)
    expect(st.json.hint).toContain(st.json.user_code)
    expect(st.json.hint).toContain(`poll --pending-id ${st.json.pending_id}`)
    expect(r1).toEqual([USERCODE])

    // start never polls by itself: nothing more reaches the emulator until poll is called.
    await new Promise((r) => setTimeout(r, 300))
    expect(w.emu.count(DEVICE_TOKEN)).toBe(0)

    const [p1, r2] = await requestsDuring(w, () =>
      w.cli(['poll', '--pending-id', st.json.pending_id]),
    )
    expect(p1.json).toMatchObject({ ok: true, status: 'pending', retry_after_s: 1 })
    expect(r2).toEqual([DEVICE_TOKEN])

    w.emu.approve()
    await new Promise((r) => setTimeout(r, 1000)) // the 1 s interval the server asked for
    const [p2, r3] = await requestsDuring(w, () => w.cli(['poll']))
    expect(p2.json).toMatchObject({ ok: true, status: 'connected' })
    expect(p2.json.account).toEqual({
      email: w.emu.account.email,
      plan: w.emu.account.plan,
      account_id: w.emu.account.account_id,
    })
    expect(p2.json.hint).toMatch(/reload/i)
    // The device poll, the code exchange, then the catalog fetch that registers the models.
    expect(r3).toEqual([DEVICE_TOKEN, TOKEN, 'GET /backend-api/codex/models'])
    const exchange = w.emu.requests.findLast((r) => r.path === '/oauth/token')!
    expect(exchange.headers['content-type']).toContain('application/x-www-form-urlencoded')
    expect(exchange.body).toMatchObject({
      grant_type: 'authorization_code',
      redirect_uri: `${w.emu.issuer}/deviceauth/callback`,
    })

    // A second poll after connecting says so (ok, with the account), without a request.
    const [again, rAgain] = await requestsDuring(w, () => w.cli(['poll']))
    expect(again.code).toBe(0)
    expect(again.json).toMatchObject({
      ok: true,
      status: 'connected',
      already_connected: true,
      account: p2.json.account,
    })
    expect(rAgain).toEqual([])

    const [s1, r4] = await requestsDuring(w, () => w.cli(['status']))
    expect(s1.json).toMatchObject({ ok: true, status: 'connected', account: p2.json.account })
    expect(s1.json.access_token_expires_at).toMatch(/^\d{4}-/)
    expect(r4).toEqual([])

    for (let i = 0; i < 2; i++) {
      const [rf, r5] = await requestsDuring(w, () => w.cli(['refresh']))
      expect(rf.json).toMatchObject({ ok: true, status: 'connected', refreshed: true })
      expect(r5).toEqual([TOKEN])
      expect(w.emu.requests.at(-1)!.headers['content-type']).toContain('application/json')
    }
    expect(w.emu.stats.reuse).toBe(0)

    const [lo, r6] = await requestsDuring(w, () => w.cli(['logout']))
    expect(lo.json).toMatchObject({ ok: true, status: 'disconnected', revoked: true })
    expect(r6).toContain(REVOKE)
    expect(r6.filter((r) => !r.startsWith('GET /backend-api'))).toEqual([REVOKE])

    const [s2, r7] = await requestsDuring(w, () => w.cli(['status']))
    expect(s2.json).toMatchObject({ ok: true, status: 'disconnected' })
    expect(r7).toEqual([])
  })

  it('keeps every state file 0600 and the directory 0700', async () => {
    await w.signIn()
    await w.cli(['start', '--force'])
    expect(statSync(w.home).mode & 0o777).toBe(0o700)
    const files = readdirSync(w.home, { recursive: true, withFileTypes: true }).filter((d) =>
      d.isFile(),
    )
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) expect(statSync(join(f.parentPath, f.name)).mode & 0o777).toBe(0o600)
  })
})

describe('pending-login errors', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  it('refuses a wrong or stale pending_id without a request', async () => {
    const first = await w.cli(['start'])
    const second = await w.cli(['start', '--force'])
    expect(second.json.pending_id).not.toBe(first.json.pending_id)
    const n = w.emu.requests.length
    const stale = await w.cli(['poll', '--pending-id', first.json.pending_id])
    expect(stale.json).toMatchObject({
      ok: false,
      code: 'pending_id_mismatch',
      retryable: false,
      pending_id: second.json.pending_id,
    })
    expect(stale.json.hint).toContain(`poll --pending-id ${second.json.pending_id}`)
    expect(stale.code).toBe(1)
    const wrong = await w.cli(['poll', '--pending-id', 'pl_nothing'])
    expect(wrong.json.code).toBe('pending_id_mismatch')
    expect(w.emu.requests.length).toBe(n)
  })

  it('returns a live pending login again without a request', async () => {
    const n = w.emu.count(USERCODE)
    const again = await w.cli(['start'])
    expect(again.json).toMatchObject({ ok: true, status: 'pending', reused: true })
    expect(w.emu.count(USERCODE)).toBe(n)
  })

  it('answers a poll inside the interval with retry_after_s and no request', async () => {
    w.emu.set({ interval: '5' })
    const st = await w.cli(['start', '--force'])
    await w.cli(['poll'])
    const n = w.emu.requests.length
    const early = await w.cli(['poll', '--pending-id', st.json.pending_id])
    expect(early.json).toMatchObject({ ok: true, status: 'pending' })
    expect(early.json.retry_after_s).toBeGreaterThan(0)
    expect(early.json.retry_after_s).toBeLessThanOrEqual(5)
    // Real values, no loop: the wait as a phrase and an instant, and "after their reply".
    expect(early.json.hint).toMatch(/in \d+ seconds?, at \d{4}-\d\d-\d\dT/)
    expect(early.json.hint).toMatch(/after their reply/)
    expect(early.json.hint).not.toMatch(/\bsleep\b|wait retry_after_s/i)
    // status reports the same wait that poll enforces.
    const s = await w.cli(['status'])
    expect(s.json.retry_after_s).toBeGreaterThan(0)
    expect(s.json.retry_after_s).toBeLessThanOrEqual(early.json.retry_after_s)
    expect(w.emu.requests.length).toBe(n)
  })

  it('reports an expired pending login without a request (clock moved 16 minutes on)', async () => {
    await w.cli(['start', '--force'])
    const n = w.emu.requests.length
    const late = await w.cli(['poll'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(16 * 60_000) })
    expect(late.json).toMatchObject({ ok: false, code: 'device_code_expired' })
    const st = await w.cli(['status'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(16 * 60_000) })
    expect(st.json.status).toBe('disconnected')
    expect(w.emu.requests.length).toBe(n)
  })

  it('reports no pending login', async () => {
    await w.cli(['logout'])
    const r = await w.cli(['poll'])
    expect(r.json).toMatchObject({ ok: false, code: 'no_pending_login' })
  })

  it('maps a usercode 404 to device_login_unavailable', async () => {
    w.emu.set({ usercode: 'disabled' })
    const r = await w.cli(['start', '--force'])
    expect(r.json).toMatchObject({ ok: false, code: 'device_login_unavailable', retryable: false })
    expect(r.json.hint).toMatch(/Security/)
    w.emu.set({ usercode: 'ok' })
  })
})

describe('refresh failures and bad state', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  const creds = () => JSON.parse(readFileSync(join(w.home, 'credentials.json'), 'utf8'))

  it('refuses a refresh whose id_token names another account and keeps the tokens', async () => {
    await w.signIn()
    const before = creds()
    w.emu.setAccount({ account_id: 'acct-someone-else' })
    const r = await w.cli(['refresh'])
    expect(r.json).toMatchObject({ ok: false, code: 'account_mismatch' })
    expect(creds().tokens.refresh_token).toBe(before.tokens.refresh_token)
    expect(creds().account).toEqual(before.account)
  })

  it('maps a reused refresh token and then reports reauth_required', async () => {
    // The account switch above spent the old refresh token: start from a fresh sign-in.
    w.emu.setAccount({ account_id: creds().account.account_id })
    await w.cli(['logout'])
    await w.signIn()
    // Another client spends our refresh token first.
    const res = await fetch(`${w.emu.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
        grant_type: 'refresh_token',
        refresh_token: creds().tokens.refresh_token,
      }),
    })
    expect(res.status).toBe(200)
    await res.text()
    const r = await w.cli(['refresh'])
    expect(r.json).toMatchObject({ ok: false, code: 'refresh_token_reused', retryable: false })
    const st = await w.cli(['status'])
    expect(st.json).toMatchObject({
      ok: true,
      status: 'reauth_required',
      reason: 'refresh_token_reused',
    })
    expect(st.json.hint).toMatch(/logout`, then `.*start`/)
  })

  it('reports a corrupt credentials file, keeps it intact, and logout moves it aside', async () => {
    const path = join(w.home, 'credentials.json')
    const garbage = '{"schemaVersion":1,"tokens":{"id_tok'
    writeFileSync(path, garbage, { mode: 0o600 })
    for (const fn of ['status', 'refresh', 'start']) {
      const r = await w.cli([fn])
      expect(r.json).toMatchObject({ ok: false, code: 'state_corrupt' })
      expect(readFileSync(path, 'utf8')).toBe(garbage)
    }
    const lo = await w.cli(['logout'])
    expect(lo.json.ok).toBe(true)
    expect(lo.json.moved_aside).toHaveLength(1)
    expect(readFileSync(lo.json.moved_aside[0], 'utf8')).toBe(garbage)
  })
})

describe('bad CLI arguments', () => {
  const env = {
    CHATGPT_CODEX_HOME: '/nonexistent/never-created',
    CHATGPT_CODEX_ISSUER: 'http://127.0.0.1:9',
  }
  const cases: string[][] = [
    ['bogus'],
    ['status', 'extra'],
    ['status', '--force'],
    ['start', '--force=yes'],
    ['start', '--force', 'now'],
    ['start', '--force', '--force'],
    ['start', '--method'],
    ['start', '--method', 'carrier-pigeon'],
    ['poll', '--pending-id'],
    ['poll', '--pending-id', '../../etc/passwd'],
    ['poll', '--pending-id', 'pl_ok', '--pending-id', 'pl_ok'],
    ['poll', '--pending-id', 'x'.repeat(10_000)],
    ['poll', '-p', 'pl_x'],
    ['refresh', '--pretty=1'],
    ['logout', 'now'],
  ]
  it.each(cases.map((c) => [c.join(' ').slice(0, 60), c]))(
    '%s -> invalid_argument, exit 2',
    async (_, args) => {
      const { runCli } = await import('./helpers/cli.js')
      const r = await runCli(args as string[], env)
      expect(r.code).toBe(2)
      expect(r.stdout.trim().split('\n')).toHaveLength(1)
      expect(r.json).toMatchObject({ ok: false, code: 'invalid_argument', retryable: false })
      expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /)
    },
  )

  it('prints usage for --help with exit 0', async () => {
    const { runCli } = await import('./helpers/cli.js')
    const r = await runCli(['--help'], env)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Usage:/)
  })

  it('rejects a non-loopback http issuer with invalid_config before any request', async () => {
    const { runCli } = await import('./helpers/cli.js')
    const r = await runCli(['start'], { ...env, CHATGPT_CODEX_ISSUER: 'http://example.com' })
    expect(r.json).toMatchObject({ ok: false, code: 'invalid_config' })
  })
})

leakScan(import.meta.url)
