/**
 * `doctor`: read-only (the state dir is byte-for-byte the same afterwards, nothing is created),
 * no request without --online (a loopback server counts connections), and one finding
 * `{id, severity, message, hint}` per problem: modes, stale lock, clock skew, pending age,
 * schema version, conflicting env vars (names only), registry/marker consistency, temp files.
 */
import { createServer, type Server } from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { fileStore } from '../src/store/credentials.js'
import { runCli } from './helpers/cli.js'
import { world, type World } from './helpers/harness.js'
import { leakScan } from './helpers/leaks.js'
import { call, fakeCredentials, fakePending, snapshot } from './helpers/state.js'

const root = mkdtempSync(join(tmpdir(), 'cco-doctor-'))
let server: Server
let connections = 0
let origin = ''
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(500).end())
  server.on('connection', () => connections++)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  rmSync(root, { recursive: true, force: true })
})

function setup(name: string, files: Record<string, unknown> = {}) {
  const home = join(root, name, 'state')
  mkdirSync(home, { recursive: true, mode: 0o700 })
  for (const [f, v] of Object.entries(files)) {
    mkdirSync(join(home, f, '..'), { recursive: true, mode: 0o700 })
    writeFileSync(join(home, f), typeof v === 'string' ? v : JSON.stringify(v), { mode: 0o600 })
  }
  const env = {
    HOME: join(root, name),
    CHATGPT_CODEX_HOME: home,
    CHATGPT_CODEX_ISSUER: origin,
    CHATGPT_CODEX_BACKEND_URL: `${origin}/backend-api`,
  }
  return { home, env }
}

/** Runs doctor in-process and asserts it changed nothing and made no request. */
async function doctor(home: string, env: Record<string, string>) {
  const before = existsSync(home) ? snapshot(home) : undefined
  const c0 = connections
  const r = await call('doctor', env)
  expect(r).toMatchObject({ ok: true, online: false, requests: 'none' })
  for (const f of r.findings) {
    expect(Object.keys(f).sort()).toEqual(['hint', 'id', 'message', 'severity'])
    expect(['info', 'warning', 'error']).toContain(f.severity)
  }
  expect(connections).toBe(c0)
  expect(existsSync(home) ? snapshot(home) : undefined).toEqual(before)
  return r as {
    health: string
    findings: { id: string; severity: string; message: string; hint: string | null }[]
  }
}
const ids = (r: { findings: { id: string }[] }) => r.findings.map((f) => f.id)

describe('doctor', () => {
  it('on a machine never signed in: creates nothing, requests nothing', async () => {
    const home = join(root, 'fresh', 'state')
    const r = await doctor(home, {
      HOME: join(root, 'fresh'),
      CHATGPT_CODEX_HOME: home,
      CHATGPT_CODEX_ISSUER: origin,
    })
    expect(ids(r)).toEqual(['state_dir_missing', 'not_signed_in'])
    expect(r.health).toBe('healthy')
    expect(existsSync(home)).toBe(false)
  })

  it('a healthy sign-in: schema version and clock skew as info, nothing else', async () => {
    const now = Date.now()
    const { home, env } = setup('healthy', {
      'credentials.json': fakeCredentials(now),
      'registry/providers/openai-codex.json': {
        schemaVersion: 1,
        provider: { state: 'signed-in' },
        models: [],
      },
      'registry/models-changed': String(now),
    })
    const r = await doctor(home, env)
    expect(r.health).toBe('healthy')
    expect(ids(r).sort()).toEqual(['clock_skew', 'schema_version'])
    expect(r.findings.find((f) => f.id === 'clock_skew')).toMatchObject({
      severity: 'info',
      hint: null,
    })
  })

  it('clock skew from the token iat against the local clock', async () => {
    const now = Date.now()
    const ahead = fakeCredentials(now, { last_refresh: now + 10 * 60_000 })
    const { home, env } = setup('skew', { 'credentials.json': ahead })
    const r = await doctor(home, env)
    const f = r.findings.find((x) => x.id === 'clock_skew')!
    expect(f.severity).toBe('warning')
    expect(f.message).toMatch(/about 60[01] s ahead of/)
    expect(f.hint).toMatch(/NTP/)
    // A child whose clock runs 20 minutes slow sees the token as issued in its future.
    const slow = await runCli(['doctor'], {
      ...env,
      CHATGPT_CODEX_CLOCK_OFFSET_MS: String(-20 * 60_000),
    })
    const g = slow.json.findings.find((x: { id: string }) => x.id === 'clock_skew')
    expect(g).toMatchObject({ severity: 'warning' })
    expect(g.message).toMatch(/behind/)
  })

  it('stale and held locks, leftover temp files', async () => {
    const { home, env } = setup('locks', {
      'credentials.json': fakeCredentials(),
      'credentials.json.123456': '{"half',
    })
    mkdirSync(join(home, 'credentials.lock'))
    const old = new Date(Date.now() - 120_000)
    utimesSync(join(home, 'credentials.lock'), old, old)
    mkdirSync(join(home, 'pending.lock'))
    const r = await doctor(home, env)
    expect(r.findings).toContainEqual(
      expect.objectContaining({ id: 'stale_lock', severity: 'warning' }),
    )
    expect(r.findings).toContainEqual(
      expect.objectContaining({ id: 'lock_held', severity: 'info' }),
    )
    expect(r.findings).toContainEqual(
      expect.objectContaining({ id: 'temp_files', severity: 'warning' }),
    )
    // The next locked write takes over the stale lock and sweeps the temp file.
    const store = fileStore(createContext(env))
    await store.locked(() => store.write(fakeCredentials()))
    const after = await doctor(home, env)
    expect(ids(after)).not.toContain('temp_files')
    expect(ids(after)).not.toContain('stale_lock')
  })

  it('pending login age, expired pending, ended sign-in', async () => {
    const now = Date.now()
    const live = setup('pending-live', { 'pending.json': fakePending(now) })
    const r1 = await doctor(live.home, live.env)
    expect(r1.findings.find((f) => f.id === 'pending_login')!.message).toMatch(
      /started 60 s ago .*expires in 840 s/,
    )
    const expired = setup('pending-old', {
      'pending.json': fakePending(now, { expires_at: now - 1000 }),
    })
    expect(ids(await doctor(expired.home, expired.env))).toContain('pending_expired')
    const ended = setup('reauth', {
      'credentials.json': fakeCredentials(now, {
        reauth: { code: 'refresh_token_reused', at: now },
      }),
    })
    const r3 = await doctor(ended.home, ended.env)
    expect(r3.health).toBe('problems')
    expect(r3.findings).toContainEqual(
      expect.objectContaining({ id: 'reauth_required', severity: 'error' }),
    )
  })

  it('conflicting env vars by name only, never their values', async () => {
    const { home, env } = setup('env')
    const r = await doctor(home, {
      ...env,
      OPENAI_API_KEY: 'sk-local-value-must-not-appear',
      CODEX_API_KEY: 'codex-value-must-not-appear',
      OPENAI_BASE_URL: 'http://value-must-not-appear',
    })
    const found = r.findings.filter((f) => f.id === 'conflicting_env')
    expect(found.map((f) => f.message.split(' ')[0])).toEqual([
      'OPENAI_API_KEY',
      'CODEX_API_KEY',
      'OPENAI_BASE_URL',
    ])
    expect(JSON.stringify(r)).not.toMatch(/must-not-appear/)
  })

  it('registry and marker consistency with the credentials', async () => {
    const now = Date.now()
    const reg = (state: string) => ({ schemaVersion: 1, provider: { state }, models: [] })
    const missing = setup('reg-missing', { 'credentials.json': fakeCredentials(now) })
    expect((await doctor(missing.home, missing.env)).findings).toContainEqual(
      expect.objectContaining({
        id: 'registry_inconsistent',
        hint: expect.stringMatching(/models --force/),
      }),
    )
    const leftover = setup('reg-leftover', {
      'registry/providers/openai-codex.json': reg('signed-in'),
      'registry/models-changed': '1',
    })
    expect((await doctor(leftover.home, leftover.env)).findings).toContainEqual(
      expect.objectContaining({
        id: 'registry_inconsistent',
        hint: expect.stringMatching(/logout/),
      }),
    )
    const noMarker = setup('reg-nomarker', {
      'credentials.json': fakeCredentials(now),
      'registry/providers/openai-codex.json': reg('signed-in'),
    })
    expect(ids(await doctor(noMarker.home, noMarker.env))).toContain('marker_missing')
    const elsewhere = setup('reg-elsewhere', {
      'credentials.json': fakeCredentials(now),
      'registry/providers/openai-codex.json': {
        provider: {
          state: 'signed-in',
          credential: { env: { CHATGPT_CODEX_HOME: '/somewhere/else' } },
        },
      },
      'registry/models-changed': '1',
    })
    const e = await doctor(elsewhere.home, elsewhere.env)
    expect(e.findings.find((f) => f.id === 'registry_inconsistent')!.message).toMatch(
      /somewhere\/else/,
    )
  })

  it('through the CLI: one JSON line, exit 0, no request', async () => {
    const { env } = setup('cli', { 'credentials.json': '{' })
    const c0 = connections
    const r = await runCli(['doctor'], env)
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({ ok: true, health: 'problems' })
    expect(r.json.findings).toContainEqual(expect.objectContaining({ id: 'state_file_corrupt' }))
    expect(connections).toBe(c0)
  })
})

describe('doctor --online against the emulator', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
    await w.signIn()
  })
  afterAll(() => w.close())

  it('makes exactly one authenticated usage call and reports that the sign-in works', async () => {
    const before = w.emu.requests.length
    const r = await w.cli(['doctor', '--online'])
    expect(r.json).toMatchObject({ ok: true, online: true })
    expect(r.json.checks).toContain('online')
    const f = r.json.findings.find((x: { id: string }) => x.id === 'online')
    expect(f).toMatchObject({ severity: 'info', hint: null })
    expect(f.message).toContain(`plan ${w.emu.account.plan}`)
    const made = w.emu.requests.slice(before).map((q) => `${q.method} ${q.path}`)
    expect(made).toEqual(['GET /backend-api/wham/usage'])
    expect(w.emu.requests.at(-1)!.headers.authorization).toMatch(/^Bearer /)
  })

  it('reports a failing usage call as an error finding with the code and its fix', async () => {
    w.emu.set({ faults: { 'GET /backend-api/wham/usage': { status: 503 } } })
    const r = await w.cli(['doctor', '--online'])
    w.emu.set({ faults: {} })
    expect(r.json).toMatchObject({ ok: true, health: 'problems' })
    const f = r.json.findings.find((x: { id: string }) => x.id === 'online')
    expect(f).toMatchObject({ severity: 'error' })
    expect(f.message).toMatch(/upstream_error/)
    expect(f.hint).toMatch(/\S/)
  })
})

leakScan(import.meta.url)
