/**
 * Issue 19, the output contract: every function, run through the real CLI against the emulator
 * in each state the suite creates (signed out, pending device, pending browser, connected,
 * reauth, and each error code reachable here), prints an object its zod schema accepts; the
 * checked-in JSON Schemas and the docs table are what `npm run schemas` makes; the help of every
 * function is one JSON object.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { drift } from '../scripts/schemas.js'
import { Failure } from '../src/skill/schemas/common.js'
import {
  COMMON_ERRORS,
  ERRORS,
  SUCCESS,
  type FunctionName,
} from '../src/skill/schemas/functions.js'
import { world, type World } from './helpers/harness.js'
import { leakScan, recordAllowed } from './helpers/leaks.js'
import type { CliRun } from './helpers/cli.js'

/** Every (function, outcome) validated, e.g. "poll:pending", "poll:pending_id_mismatch". */
const seen = new Set<string>()

function check(fn: FunctionName, r: CliRun): Record<string, any> {
  const out = r.json
  expect(out, `${fn} printed one JSON object: ${r.stdout}`).toBeTypeOf('object')
  if (out.ok) {
    const p = SUCCESS[fn].safeParse(out)
    expect(p.success, `${fn} success: ${JSON.stringify(p.error?.issues)}\n${r.stdout}`).toBe(true)
    expect(r.code).toBe(0)
  } else {
    const p = Failure.safeParse(out)
    expect(p.success, `${fn} failure: ${JSON.stringify(p.error?.issues)}\n${r.stdout}`).toBe(true)
    expect([...ERRORS[fn], ...COMMON_ERRORS], `${fn} may fail with ${out.code}`).toContain(out.code)
    // Hints carry values, never placeholders or a loop.
    expect(out.hint).not.toMatch(/\b(resets_at|retry_after_s) seconds|\bsleep\b/)
  }
  seen.add(`${fn}:${out.ok ? (out.status ?? out.health ?? 'ok') : out.code}`)
  return out
}

const call = async (w: World, fn: FunctionName, args: string[] = [], env = {}) =>
  check(fn, await w.cli([fn, ...args], env))

describe('every output matches its schema', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  it('signed out', async () => {
    await call(w, 'status')
    await call(w, 'poll')
    await call(w, 'refresh')
    await call(w, 'models')
    await call(w, 'usage')
    await call(w, 'token')
    await call(w, 'verify')
    await call(w, 'doctor')
    await call(w, 'logout')
    await call(w, 'callback', ['--url', 'http://127.0.0.1:1455/auth/callback?code=x&state=y'])
    await call(w, 'serve', ['--stop'])
    await call(w, 'serve', ['--ui-url'])
    check('start', await w.cli(['start', '--method', 'nope']))
  })

  it('pending device sign-in', async () => {
    w.emu.set({ interval: '5' })
    const st = await call(w, 'start')
    await call(w, 'start') // the live one again (reused)
    await call(w, 'status')
    const p1 = await call(w, 'poll', ['--pending-id', st.pending_id])
    expect(p1.status).toBe('pending')
    const early = await call(w, 'poll') // too soon: no request
    expect(early.hint).toMatch(/after their reply/)
    const mismatch = await call(w, 'poll', ['--pending-id', 'pl_other'])
    expect(mismatch).toMatchObject({ code: 'pending_id_mismatch', pending_id: st.pending_id })
    await call(w, 'callback', ['--url', 'http://127.0.0.1:1455/auth/callback?code=x&state=y'])
    await call(w, 'doctor')
    await call(w, 'poll', [], { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(16 * 60_000) })
  })

  it('pending browser sign-in', async () => {
    const st = await call(w, 'start', ['--method', 'browser'])
    expect(st.method).toBe('browser')
    await call(w, 'status')
    await call(w, 'poll')
    await call(w, 'callback', ['--url', 'http://127.0.0.1:1455/auth/callback?code=x&state=wrong'])
    await call(w, 'logout') // stops the listener
  })

  it('connected, with a gateway', async () => {
    check('poll', await w.signIn())
    await call(w, 'status')
    await call(w, 'start')
    const again = await call(w, 'poll')
    expect(again).toMatchObject({ status: 'connected', already_connected: true })
    await call(w, 'refresh')
    await call(w, 'models')
    await call(w, 'models', ['--force'])
    const u = await call(w, 'usage', ['--force'])
    expect(typeof u.credits.balance === 'number' || u.credits.balance === null).toBe(true)
    await call(w, 'usage')
    const t = await w.cli(['token'])
    recordAllowed(t.stdout)
    check('token', t)
    await call(w, 'verify')
    await call(w, 'verify', ['--model', 'openai-codex/no-such-model'])
    await call(w, 'doctor', ['--online'])
    const gw = await call(w, 'serve', ['--detach'])
    expect(gw.status).toBe('running')
    await call(w, 'serve', ['--detach'])
    await call(w, 'serve', ['--ui-url'])
    // The page's "link used up" text names the gateway's own command, runnable from any cwd.
    const refused = await fetch(`http://127.0.0.1:${gw.port}/ui?code=used-or-unknown`, {
      redirect: 'manual',
    })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toMatch(/\n {2}node \/\S+\/dist\/cli\.cjs serve --ui-url\n/)
    const s = await call(w, 'status')
    expect(s.gateway).toMatchObject({ running: true, pid: gw.pid })
    const out = await call(w, 'logout')
    expect(out.gateway).toMatchObject({ running: true, refusing: true })
    await call(w, 'serve', ['--stop'])
    await call(w, 'serve', ['--stop'])
  })

  it('upstream errors', async () => {
    check('poll', await w.signIn())
    w.emu.set({ faults: { 'GET /backend-api/wham/usage': { status: 429, times: 1 } } })
    await call(w, 'usage', ['--force'])
    w.emu.set({ faults: { 'GET /backend-api/wham/usage': { status: 500, times: 1 } } })
    await call(w, 'usage', ['--force'])
    w.emu.set({ faults: {}, responses: { reply: 'text', mode: 'usage_limit' } })
    const limit = await call(w, 'verify')
    expect(limit.hint).toMatch(/resets (in \d+|at)/)
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
    await w.cli(['logout'])
    w.emu.set({ usercode: 'disabled' })
    await call(w, 'start', ['--force'])
    w.emu.set({ usercode: 'ok' })
  })

  it('reauth: a dead refresh token', async () => {
    check('poll', await w.signIn())
    w.emu.set({ refresh: 'expired' })
    await call(w, 'refresh')
    await call(w, 'status')
    await call(w, 'poll')
    await call(w, 'models')
    await call(w, 'token')
    await call(w, 'usage')
    await call(w, 'doctor')
    await call(w, 'logout')
    w.emu.set({ refresh: 'ok' })
  })

  it('a sign-in that is dead on arrival is not reported as connected', async () => {
    w.emu.set({ accessTtlS: 120, refresh: 'expired', interval: '0' })
    await call(w, 'start', ['--force'])
    w.emu.approve()
    const p = await call(w, 'poll')
    expect(p).toMatchObject({ ok: false, code: 'refresh_token_expired' })
    const s = await call(w, 'status')
    expect(s.status).toBe('reauth_required')
    expect(s.registry.state).toBe('reauth_required')
    await call(w, 'logout')
    w.emu.set({ accessTtlS: 3600, refresh: 'ok' })
  })

  it('unreadable state', async () => {
    writeFileSync(join(w.home, 'credentials.json'), '{not json', { mode: 0o600 })
    for (const fn of ['status', 'refresh', 'models', 'token'] as const) await call(w, fn)
    await call(w, 'logout')
  })

  it('covered every function and the main states', () => {
    const fns = new Set([...seen].map((s) => s.split(':')[0]))
    for (const fn of Object.keys(SUCCESS).filter((f) => f !== 'gateway-key'))
      expect(fns).toContain(fn)
    for (const s of [
      'status:disconnected',
      'status:pending',
      'status:connected',
      'status:reauth_required',
      'poll:pending',
      'poll:connected',
      'poll:pending_id_mismatch',
      'poll:no_pending_login',
      'poll:device_code_expired',
      'start:device_login_unavailable',
      'usage:rate_limited',
      'usage:upstream_error',
      'verify:usage_limit_reached',
      'verify:model_not_available',
      'refresh:refresh_token_expired',
      'status:state_corrupt',
      'serve:gateway_not_running',
      'start:invalid_argument',
    ])
      expect([...seen]).toContain(s)
  })
})

describe('gateway-key (a credential helper: bare on the command line)', () => {
  it('prints the bare key on the command line; the programmatic result matches its schema', async () => {
    const w = await world()
    try {
      const r = await w.cli(['gateway-key'])
      recordAllowed(r.stdout)
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/)
      const { invoke } = await import('../src/cli/invoke.js')
      const saved = process.env.CHATGPT_CODEX_HOME
      process.env.CHATGPT_CODEX_HOME = w.home
      const out = await invoke('gateway-key', {}).finally(() => {
        process.env.CHATGPT_CODEX_HOME = saved
      })
      recordAllowed(JSON.stringify(out))
      expect(SUCCESS['gateway-key'].safeParse(out).success).toBe(true)
    } finally {
      await w.close()
    }
  })
})

describe('help per function', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  it('help <function> and <function> --help print the same JSON object, with values and an example', async () => {
    const fns = Object.keys(SUCCESS)
    const runs = await Promise.all(
      fns.map((fn) => Promise.all([w.cli(['help', fn]), w.cli([fn, '--help'])])),
    )
    runs.forEach(([a, b], i) => {
      const fn = fns[i]!
      expect(a.code).toBe(0)
      expect(a.stdout).toBe(b.stdout)
      expect(a.json).toMatchObject({ ok: true, function: fn, flags: expect.any(Array) })
      expect(a.json.example).toMatch(new RegExp(`^node /.*/cli\\.cjs ${fn}\\b`))
    })
    const start = (await w.cli(['help', 'start', '--pretty'])).stdout
    expect(start.split('\n').length).toBeGreaterThan(5)
    expect(JSON.parse(start).flags).toContainEqual(
      expect.objectContaining({ flag: '--method', values: ['device', 'browser'] }),
    )
  })
})

describe('published schemas', () => {
  it('schemas/*.json and the docs table are what npm run schemas makes', async () => {
    expect(await drift(), 'run npm run schemas').toEqual([])
  })
})

leakScan(import.meta.url)
