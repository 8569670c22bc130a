/**
 * Faults from upstream against the emulator (real loopback HTTP, real files): each case yields a
 * stable code and the right `retryable`, and the state directory is byte-for-byte unchanged.
 * Token endpoint (refresh), device endpoint (start) and backend (usage) cases; refresh
 * responses that omit fields keep the stored values; a dead refresh token records reauth but
 * keeps the tokens. Every case runs in-process (fast); the token-endpoint cases also run
 * through real CLI processes.
 */
import { createServer } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { world, type World } from './helpers/harness.js'
import { figure } from './helpers/figures.js'
import { leakScan } from './helpers/leaks.js'
import { call, snapshot } from './helpers/state.js'

const TOKEN = 'POST /oauth/token'
const USERCODE = 'POST /api/accounts/deviceauth/usercode'
const USAGE = 'GET /backend-api/wham/usage'

interface Case {
  name: string
  fault: Record<string, unknown>
  code: string
  retryable: boolean
  extra?: (json: Record<string, any>) => void
}

const httpDate = (ms: number) => new Date(ms).toUTCString()

const CASES: Case[] = [
  { name: 'hang (timeout)', fault: { kind: 'hang' }, code: 'timeout', retryable: true },
  { name: 'reset mid-body', fault: { kind: 'reset' }, code: 'network_error', retryable: true },
  { name: 'HTTP 500', fault: { status: 500 }, code: 'upstream_error', retryable: true },
  {
    name: 'HTTP 502 with an HTML page',
    fault: { kind: 'html502' },
    code: 'upstream_error',
    retryable: true,
    extra: (j) => expect(j.error).not.toMatch(/<html|<!doctype/i),
  },
  { name: 'HTTP 503', fault: { status: 503 }, code: 'upstream_error', retryable: true },
  {
    name: '429 with Retry-After seconds',
    fault: { status: 429, headers: { 'retry-after': '7' } },
    code: 'rate_limited',
    retryable: true,
    extra: (j) => expect(j.retry_after_s).toBe(7),
  },
  {
    name: '429 with Retry-After as an HTTP date',
    // A getter: the date is two minutes after the moment the case runs.
    get fault() {
      return { status: 429, headers: { 'retry-after': httpDate(Date.now() + 120_000) } }
    },
    code: 'rate_limited',
    retryable: true,
    extra: (j) => {
      expect(j.retry_after_s).toBeGreaterThanOrEqual(100)
      expect(j.retry_after_s).toBeLessThanOrEqual(121)
    },
  },
  {
    name: '200 with non-JSON content',
    fault: { kind: 'non-json' },
    code: 'invalid_response',
    retryable: false,
  },
  {
    name: '200 with JSON of the wrong shape',
    fault: { kind: 'wrong-shape' },
    code: 'invalid_response',
    retryable: false,
  },
]

let tried = 0
const creds = (w: World) => JSON.parse(readFileSync(join(w.home, 'credentials.json'), 'utf8'))

describe('token endpoint faults during refresh', () => {
  let w: World
  beforeAll(async () => {
    w = await world({ env: { CHATGPT_CODEX_TIMEOUT_MS: '1000' } })
    await signInInProcess(w)
  })
  afterAll(() => w.close())

  // Every case in-process; a representative five again through real CLI processes.
  const viaCli = new Set([
    'hang (timeout)',
    'reset mid-body',
    'HTTP 502 with an HTML page',
    '429 with Retry-After as an HTTP date',
    '200 with JSON of the wrong shape',
  ])
  for (const via of ['in-process', 'CLI'] as const) {
    for (const c of via === 'CLI' ? CASES.filter((x) => viaCli.has(x.name)) : CASES) {
      it(`${via}: ${c.name}: ${c.code}, retryable ${c.retryable}, state unchanged`, async () => {
        tried++
        const before = snapshot(w.home)
        w.emu.set({ faults: { [TOKEN]: c.fault } })
        const n = w.emu.count(TOKEN)
        const t0 = Date.now()
        const r =
          via === 'CLI' ? await w.cli(['refresh']) : { code: 1, json: await call('refresh', w.env) }
        w.emu.set({ faults: {} })
        expect(r.code).toBe(1)
        expect(r.json).toMatchObject({ ok: false, code: c.code, retryable: c.retryable })
        expect(r.json.hint).toMatch(/\S/)
        c.extra?.(r.json)
        expect(w.emu.count(TOKEN)).toBe(n + 1)
        expect(snapshot(w.home)).toEqual(before)
        // The hang is bounded by CHATGPT_CODEX_TIMEOUT_MS (1 s) plus a process start.
        if (c.code === 'timeout') expect(Date.now() - t0).toBeLessThan(6000)
      })
    }
  }

  it('connection refused: network_error, retryable, state unchanged', async () => {
    tried++
    const port = await closedPort()
    const before = snapshot(w.home)
    const r = await w.cli(['refresh'], { CHATGPT_CODEX_ISSUER: `http://127.0.0.1:${port}` })
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({ ok: false, code: 'network_error', retryable: true })
    expect(snapshot(w.home)).toEqual(before)
  })

  it('after all that, the sign-in still works: one refresh, no reuse', async () => {
    const r = await call('refresh', w.env)
    expect(r).toMatchObject({ ok: true, refreshed: true })
    expect(w.emu.stats.reuse).toBe(0)
  })

  it('a refresh response that omits fields keeps the stored values for them', async () => {
    tried++
    const before = creds(w)
    w.emu.set({ refresh: 'omit' })
    const r = await call('refresh', w.env)
    w.emu.set({ refresh: 'ok' })
    expect(r).toMatchObject({ ok: true, status: 'connected', refreshed: true })
    const after = creds(w)
    // Whatever was omitted kept its old value; nothing became empty.
    for (const k of ['id_token', 'access_token', 'refresh_token', 'account_id'])
      expect(after.tokens[k]).toMatch(/\S/)
    expect(after.account).toEqual(before.account)
    expect(w.emu.stats.reuse).toBe(0)
  })

  for (const [mode, code] of [
    ['expired', 'refresh_token_expired'],
    ['invalidated', 'refresh_token_invalidated'],
  ] as const) {
    it(`refresh token ${mode}: ${code}, not retryable, tokens kept and reauth recorded`, async () => {
      tried++
      await call('logout', w.env)
      await signInInProcess(w)
      const before = creds(w)
      w.emu.set({ refresh: mode })
      const r = await call('refresh', w.env)
      w.emu.set({ refresh: 'ok' })
      expect(r).toMatchObject({ ok: false, code, retryable: false })
      const after = creds(w)
      expect(after.tokens).toEqual(before.tokens)
      expect(after.reauth.code).toBe(code)
      const s = await call('status', w.env)
      expect(s).toMatchObject({ ok: true, status: 'reauth_required', reason: code })
      const n = w.emu.count(TOKEN)
      expect((await call('refresh', w.env)).code).toBe(code)
      expect(w.emu.count(TOKEN)).toBe(n) // no second doomed request
    })
  }
})

describe('device endpoint faults during start', () => {
  let w: World
  beforeAll(async () => {
    w = await world({ env: { CHATGPT_CODEX_TIMEOUT_MS: '1000' } })
  })
  afterAll(() => w.close())

  for (const c of CASES) {
    it(`${c.name}: ${c.code}, no pending login written`, async () => {
      tried++
      await call('status', w.env) // creates the (empty) state dir
      const before = snapshot(w.home)
      w.emu.set({ faults: { [USERCODE]: c.fault } })
      const r = await call('start', w.env, { force: true })
      w.emu.set({ faults: {} })
      expect(r).toMatchObject({ ok: false, code: c.code, retryable: c.retryable })
      c.extra?.(r)
      expect(snapshot(w.home)).toEqual(before)
    })
  }
})

describe('backend faults during usage --force', () => {
  let w: World
  beforeAll(async () => {
    w = await world({ env: { CHATGPT_CODEX_TIMEOUT_MS: '1000' } })
    await signInInProcess(w)
  })
  afterAll(() => w.close())

  for (const c of CASES) {
    it(`${c.name}: ${c.code}, credentials unchanged`, async () => {
      tried++
      const before = snapshot(w.home)
      w.emu.set({ faults: { [USAGE]: c.fault } })
      const r = await call('usage', w.env, { force: true })
      w.emu.set({ faults: {} })
      expect(r).toMatchObject({ ok: false, code: c.code, retryable: c.retryable })
      c.extra?.(r)
      expect(snapshot(w.home)).toEqual(before)
    })
  }

  it('records the figures', () => {
    figure('faults', { cases: tried, kinds: CASES.length + 1, endpoints: 3 })
  })
})

/** The device sign-in, in-process against the emulator (the CLI path is device-flow.test.ts's). */
async function signInInProcess(w: World): Promise<void> {
  w.emu.set({ interval: '0' })
  const s = await call('start', w.env, { force: true })
  if (!s.ok) throw new Error(`start failed: ${JSON.stringify(s)}`)
  w.emu.approve()
  const p = await call('poll', w.env)
  if (p.status !== 'connected') throw new Error(`poll failed: ${JSON.stringify(p)}`)
  w.emu.set({ interval: '5' })
}

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise((r) => srv.close(r))
  return port
}

leakScan(import.meta.url)
