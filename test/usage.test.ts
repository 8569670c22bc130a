/**
 * Issue 4 end to end: usage() and the authenticated-call discipline (refresh ahead of expiry,
 * one refresh + retry on a 401, 429 -> rate_limited, one refresh among 8 racing processes),
 * through real CLI processes against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { world, type World } from './helpers/harness.js'
import { leakScan } from './helpers/leaks.js'

const USAGE = 'GET /backend-api/wham/usage'
const TOKEN = 'POST /oauth/token'

async function requestsDuring<T>(w: World, fn: () => Promise<T>): Promise<[T, string[]]> {
  const before = w.emu.requests.length
  const out = await fn()
  return [out, w.emu.requests.slice(before).map((r) => `${r.method} ${r.path}`)]
}

describe('usage through the CLI', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
    await w.signIn()
  })
  afterAll(() => w.close())

  it('normalises windows by length; within the 60 s TTL 0 requests, --force exactly 1', async () => {
    const [u1, r1] = await requestsDuring(w, () => w.cli(['usage']))
    expect(r1).toEqual([USAGE])
    expect(u1.json).toEqual({
      ok: true,
      plan: 'pro',
      limit_reached: false,
      windows: [
        { label: '5h', used_percent: 12, window_minutes: 300, resets_at: expect.any(String) },
        { label: 'weekly', used_percent: 40, window_minutes: 10080, resets_at: expect.any(String) },
      ],
      credits: { has_credits: false, unlimited: false, balance: 0 },
      other_limits: [],
      fetched_at: expect.any(String),
      usage_source: 'live',
    })
    const [u2, r2] = await requestsDuring(w, () => w.cli(['usage']))
    expect(r2).toEqual([])
    expect(u2.json).toMatchObject({
      ok: true,
      usage_source: 'cache',
      fetched_at: u1.json.fetched_at,
    })
    const [u3, r3] = await requestsDuring(w, () => w.cli(['usage', '--force']))
    expect(r3).toEqual([USAGE])
    expect(u3.json.usage_source).toBe('live')
    const [u4, r4] = await requestsDuring(w, () =>
      w.cli(['usage'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: '61000' }),
    )
    expect(r4).toEqual([USAGE])
    expect(u4.json.usage_source).toBe('live')
  })

  it('maps a 429 to rate_limited with retry_after_s from Retry-After', async () => {
    w.emu.set({ faults: { [USAGE]: { status: 429, headers: { 'retry-after': '17' }, times: 1 } } })
    const u = await w.cli(['usage', '--force'])
    expect(u.code).toBe(1)
    expect(u.json).toMatchObject({
      ok: false,
      code: 'rate_limited',
      retry_after_s: 17,
      retryable: true,
    })
  })

  it('on a 401 refreshes once and retries once', async () => {
    w.emu.set({ faults: { [USAGE]: { status: 401, times: 1 } } })
    const [u, r] = await requestsDuring(w, () => w.cli(['usage', '--force']))
    expect(u.json).toMatchObject({ ok: true, usage_source: 'live' })
    expect(r).toEqual([USAGE, TOKEN, USAGE])
  })

  it('a token within 5 minutes of expiry is refreshed before the backend call', async () => {
    // The emulator's tokens last 3600 s; 56 minutes later the token has 4 minutes left.
    const [u, r] = await requestsDuring(w, () =>
      w.cli(['usage', '--force'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(56 * 60_000) }),
    )
    expect(u.json).toMatchObject({ ok: true, usage_source: 'live' })
    expect(r).toEqual([TOKEN, USAGE])
  })

  it('a dead refresh token takes the models out of the registry (state reauth_required)', async () => {
    w.emu.set({ refresh: 'expired' })
    // The refresh of the test above ran on a clock 56 minutes ahead of the emulator's, and its
    // tokens carry that measured skew (src/auth/clock.ts): 57 more minutes bring them near expiry.
    const u = await w.cli(['usage', '--force'], {
      CHATGPT_CODEX_CLOCK_OFFSET_MS: String((56 + 57) * 60_000),
    })
    w.emu.set({ refresh: 'ok' })
    expect(u.json).toMatchObject({ ok: false, code: 'refresh_token_expired' })
    const s = await w.cli(['status'])
    expect(s.json).toMatchObject({
      status: 'reauth_required',
      registry: { state: 'reauth_required', models: [] },
    })
  })
})

describe('8 concurrent usage --force processes with a near-expiry token', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
    // Sign in with a 120 s token (inside the 5-minute window), then let new tokens last an hour.
    w.emu.set({ accessTtlS: 120 })
    await w.signIn()
    w.emu.set({ accessTtlS: 3600 })
  })
  afterAll(() => w.close())

  it('make exactly 1 upstream refresh and no refresh-token reuse', async () => {
    w.emu.reset()
    const runs = await Promise.all(Array.from({ length: 8 }, () => w.cli(['usage', '--force'])))
    for (const u of runs)
      expect(u.json).toMatchObject({ ok: true, usage_source: 'live', plan: 'pro' })
    expect(w.emu.stats.refreshes).toBe(1)
    expect(w.emu.stats.reuse).toBe(0)
    expect(w.emu.count(TOKEN)).toBe(1)
    expect(w.emu.count(USAGE)).toBe(8)
    // Every backend call carried a valid token: no 401 had to be retried.
    const usageCalls = w.emu.requests.filter((r) => `${r.method} ${r.path}` === USAGE)
    expect(new Set(usageCalls.map((r) => r.headers.authorization)).size).toBe(1)
  })
})

leakScan(import.meta.url)
