/**
 * The codex credential store against real temp files, real flock(2) locks and real child
 * processes (util-linux flock(1) plays "another codex process"). No network.
 */
import { spawn, spawnSync } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createContext, type Ctx } from '../src/context.js'
import { SkillError } from '../src/result.js'
import { codexStore } from '../src/store/codex-store.js'
import { flockExclusive } from '../src/store/flock.js'
import type { Credentials } from '../src/store/schemas.js'
import { status } from '../src/skill/status.js'

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwt = (claims: object) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.c2ln`
const AUTH = (acc = 'acc_123') => ({
  chatgpt_account_id: acc,
  chatgpt_plan_type: 'plus',
  chatgpt_user_id: 'user-1',
})
const idToken = (acc = 'acc_123') =>
  jwt({ email: 'tester@example.com', 'https://api.openai.com/auth': AUTH(acc) })
const accessToken = (expS: number, acc = 'acc_123') =>
  jwt({ exp: expS, iat: expS - 3600, 'https://api.openai.com/auth': AUTH(acc) })
const nowS = () => Math.floor(Date.now() / 1000)

/** auth.json exactly as codex 0.169.0 wrote it after a device login
 * (docs/codex-cli.md#authjson-as-codex-writes-it). */
const codexWritten = (rt = 'rt_codex_lineage_0001') => ({
  auth_mode: 'chatgpt',
  OPENAI_API_KEY: null,
  tokens: {
    id_token: idToken(),
    access_token: accessToken(nowS() + 3600),
    refresh_token: rt,
    oauth_provenance: {
      issuer: 'http://127.0.0.1:18080',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
    },
    login_owner_id: 'owner_abcdefghijklmnopqrstuvwxyz0123456789ABC',
    account_id: 'acc_123',
  },
  last_refresh: '2026-11-24T09:28:39.823979115Z',
})

let root: string
let codexHome: string
let ctx: Ctx
const authPath = () => join(codexHome, 'auth.json')
const put = (v: unknown) => {
  mkdirSync(codexHome, { recursive: true })
  writeFileSync(authPath(), typeof v === 'string' ? v : JSON.stringify(v, null, 2), { mode: 0o600 })
}
const disk = () => JSON.parse(readFileSync(authPath(), 'utf8'))
const errCode = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    return (e as SkillError).code
  }
  return 'no error'
}
const freshCreds = (rt: string, acc = 'acc_123'): Credentials => ({
  schemaVersion: 1,
  tokens: {
    id_token: idToken(acc),
    access_token: accessToken(nowS() + 7200, acc),
    refresh_token: rt,
    account_id: acc,
  },
  account: { email: 'tester@example.com', plan: 'plus', account_id: acc, user_id: 'user-1' },
  access_expires_at: (nowS() + 7200) * 1000,
  access_issued_at: null,
  last_refresh: Date.parse('2026-11-25T10:00:00.000Z'),
  issuer: 'http://127.0.0.1:9999',
  reauth: null,
})

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cco-codex-'))
  codexHome = join(root, 'codex')
  ctx = createContext({
    HOME: join(root, 'home'),
    CHATGPT_CODEX_HOME: join(root, 'state'),
    CODEX_HOME: codexHome,
    CHATGPT_CODEX_STORE: 'codex',
    CHATGPT_CODEX_LOCK_WAIT_MS: '300',
  })
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('codex store: reading auth.json', () => {
  it('reads the file codex writes, with provenance issuer, account and nanosecond last_refresh', async () => {
    put(codexWritten())
    const c = await codexStore(ctx).read()
    expect(c?.tokens.refresh_token).toBe('rt_codex_lineage_0001')
    expect(c?.account).toEqual({
      email: 'tester@example.com',
      plan: 'plus',
      account_id: 'acc_123',
      user_id: 'user-1',
    })
    expect(c?.issuer).toBe('http://127.0.0.1:18080')
    expect(c?.last_refresh).toBe(Date.parse('2026-11-24T09:28:39.823Z'))
    expect(c?.reauth).toBeNull()
  })
  it('treats a missing file, {} and tokens:null as not signed in', async () => {
    expect(await codexStore(ctx).read()).toBeUndefined()
    for (const v of [{}, { OPENAI_API_KEY: null }, { auth_mode: 'chatgpt', tokens: null }]) {
      put(v)
      expect(await codexStore(ctx).read()).toBeUndefined()
    }
  })
  it('reports an API-key file as codex_api_key_mode, with or without auth_mode', async () => {
    for (const v of [
      { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-written-key-123456' },
      { OPENAI_API_KEY: 'sk-x' },
    ]) {
      put(v)
      const e = await codexStore(ctx)
        .read()
        .catch((x: SkillError) => x)
      expect(e).toBeInstanceOf(SkillError)
      expect((e as SkillError).code).toBe('codex_api_key_mode')
      expect((e as SkillError).message).toContain('using an API key')
      expect((e as SkillError).message).not.toContain('sk-')
    }
  })
  it('keeps a corrupt file untouched (state_corrupt) and quarantine moves it aside', async () => {
    put('{ "OPENAI_API_KEY": null, ')
    const store = codexStore(ctx)
    expect(await errCode(store.read())).toBe('state_corrupt')
    expect(readFileSync(authPath(), 'utf8')).toBe('{ "OPENAI_API_KEY": null, ')
    const moved = await store.locked(() => store.quarantine())
    expect(moved).toMatch(/auth\.json\.corrupt-/)
  })
  it('refuses a symlinked auth.json', async () => {
    mkdirSync(codexHome, { recursive: true })
    writeFileSync(join(root, 'elsewhere.json'), JSON.stringify(codexWritten()))
    symlinkSync(join(root, 'elsewhere.json'), authPath())
    expect(await errCode(codexStore(ctx).read())).toBe('state_unsafe')
  })
})

describe('codex store: writing auth.json', () => {
  it('writes codex 0.169.0 format (key order, 0600, RFC 3339) into an empty CODEX_HOME', async () => {
    const store = codexStore(ctx)
    await store.locked(() => store.write(freshCreds('rt_skill_0001')))
    const j = disk()
    expect(Object.keys(j)).toEqual(['auth_mode', 'OPENAI_API_KEY', 'tokens', 'last_refresh'])
    expect(Object.keys(j.tokens)).toEqual([
      'id_token',
      'access_token',
      'refresh_token',
      'oauth_provenance',
      'account_id',
    ])
    expect(j.auth_mode).toBe('chatgpt')
    expect(j.OPENAI_API_KEY).toBeNull()
    expect(j.tokens.oauth_provenance).toEqual({
      issuer: 'http://127.0.0.1:9999',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
    })
    expect(j.last_refresh).toBe('2026-11-25T10:00:00.000Z')
    expect(statSync(authPath()).mode & 0o777).toBe(0o600)
    // codex's lock files exist with codex's modes
    expect(statSync(join(codexHome, 'auth.lock')).mode & 0o777).toBe(0o644)
    expect(statSync(join(codexHome, 'auth.json.lock')).mode & 0o777).toBe(0o600)
  })
  it('preserves every field it does not own, unknown ones included', async () => {
    put({
      ...codexWritten(),
      OPENAI_API_KEY: 'sk-exchanged-0001',
      future_top: { a: [1, 2] },
      tokens: { ...codexWritten().tokens, future_token_field: 'x' },
    })
    const store = codexStore(ctx)
    await store.locked(() => store.write(freshCreds('rt_skill_0002')))
    const j = disk()
    expect(j.future_top).toEqual({ a: [1, 2] })
    expect(j.tokens.future_token_field).toBe('x')
    expect(j.tokens.login_owner_id).toBe('owner_abcdefghijklmnopqrstuvwxyz0123456789ABC')
    expect(j.tokens.oauth_provenance.client_id).toBe('app_EMoamEEZ73f0CkXaXp7hrann')
    expect(j.tokens.oauth_provenance.issuer).toBe('http://127.0.0.1:9999')
    expect(j.OPENAI_API_KEY).toBe('sk-exchanged-0001')
    expect(j.tokens.refresh_token).toBe('rt_skill_0002')
  })
  it('a different account drops the old account-bound OPENAI_API_KEY and login_owner_id', async () => {
    put({ ...codexWritten(), OPENAI_API_KEY: 'sk-exchanged-0001' })
    const store = codexStore(ctx)
    await store.locked(() => store.write(freshCreds('rt_other_0001', 'acc_999')))
    const j = disk()
    expect(j.OPENAI_API_KEY).toBeNull()
    expect(j.tokens.login_owner_id).toBeUndefined()
    expect(j.tokens.account_id).toBe('acc_999')
  })
  it('never overwrites or deletes an API-key auth.json', async () => {
    const text = JSON.stringify(
      { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-written-key-123456' },
      null,
      2,
    )
    put(text)
    const store = codexStore(ctx)
    expect(await errCode(store.locked(() => store.write(freshCreds('rt_skill_0003'))))).toBe(
      'codex_api_key_mode',
    )
    expect(await errCode(store.locked(() => store.remove()))).toBe('codex_api_key_mode')
    expect(readFileSync(authPath(), 'utf8')).toBe(text)
  })
  it('keeps the reauth marker beside our state, keyed to the dead refresh token', async () => {
    put(codexWritten('rt_dead_0001'))
    const before = readFileSync(authPath(), 'utf8')
    const store = codexStore(ctx)
    const c = (await store.read())!
    await store.locked(() => store.write({ ...c, reauth: { code: 'refresh_token_reused', at: 1 } }))
    expect(readFileSync(authPath(), 'utf8')).toBe(before) // codex's file untouched
    expect((await store.read())?.reauth?.code).toBe('refresh_token_reused')
    expect(readFileSync(join(root, 'state', 'codex-reauth.json'), 'utf8')).not.toContain(
      'rt_dead_0001',
    )
    put(codexWritten('rt_new_login_0001')) // `codex login` again: a new lineage
    expect((await store.read())?.reauth).toBeNull()
  })
  it('remove deletes auth.json and leaves codex lock files, like codex logout', async () => {
    put(codexWritten())
    const store = codexStore(ctx)
    expect(await store.locked(() => store.remove())).toBe(true)
    expect(await store.read()).toBeUndefined()
    expect(statSync(join(codexHome, 'auth.lock')).isFile()).toBe(true)
  })
})

/** Another process holding a codex lock file with flock(2), as codex does. */
function holdExternally(file: string): Promise<{ release: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-x', file, 'sh', '-c', 'echo held; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    })
    child.on('error', reject)
    child.stdout.once('data', () => resolve({ release: () => child.stdin.end() }))
  })
}
const hasFlock = spawnSync('flock', ['--version']).status === 0

describe.skipIf(!hasFlock)(
  'codex store: codex lock discipline (flock on auth.lock, auth.json.lock)',
  () => {
    it('locked() holds auth.lock: another flock on it fails until we release', async () => {
      const store = codexStore(ctx)
      const lock = join(codexHome, 'auth.lock')
      await store.locked(async () => {
        expect(spawnSync('flock', ['-n', lock, 'true']).status).toBe(1)
      })
      expect(spawnSync('flock', ['-n', lock, 'true']).status).toBe(0)
    })
    it('waits for a codex process holding auth.lock, and times out as lock_timeout', async () => {
      mkdirSync(codexHome, { recursive: true })
      const held = await holdExternally(join(codexHome, 'auth.lock'))
      const t0 = Date.now()
      expect(await errCode(codexStore(ctx).locked(async () => 1))).toBe('lock_timeout')
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
      held.release()
    })
    it('write() waits for the commit lock auth.json.lock, then writes', async () => {
      mkdirSync(codexHome, { recursive: true })
      const held = await holdExternally(join(codexHome, 'auth.json.lock'))
      setTimeout(() => held.release(), 300)
      const store = codexStore(ctx)
      const t0 = Date.now()
      await store.locked(() => store.write(freshCreds('rt_after_wait_0001')))
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
      expect(disk().tokens.refresh_token).toBe('rt_after_wait_0001')
    })
    it('the perl holder takes the same flock when flock(1) is not on PATH', async () => {
      const bin = join(root, 'bin')
      mkdirSync(bin)
      symlinkSync(
        spawnSync('sh', ['-c', 'command -v perl']).stdout.toString().trim(),
        join(bin, 'perl'),
      )
      const lock = join(root, 'perl.lock')
      const path = process.env.PATH
      process.env.PATH = bin
      let release
      try {
        release = await flockExclusive(lock, 0o600, 200)
      } finally {
        process.env.PATH = path
      }
      expect(spawnSync('flock', ['-n', lock, 'true']).status).toBe(1)
      await release()
      expect(spawnSync('flock', ['-n', lock, 'true']).status).toBe(0)
    })
  },
)

describe('status in the default store', () => {
  it('notices a signed-in codex and suggests CHATGPT_CODEX_STORE=codex, without any token', async () => {
    put(codexWritten())
    const fileCtx = createContext({ ...ctx.config.env, CHATGPT_CODEX_STORE: 'file' })
    const r = await status(fileCtx)
    const text = JSON.stringify(r)
    expect(r).toMatchObject({
      status: 'disconnected',
      codex_cli: { signed_in: true, path: authPath() },
    })
    expect(text).toContain('CHATGPT_CODEX_STORE=codex')
    const t = codexWritten().tokens
    for (const s of [t.id_token, t.access_token, t.refresh_token, t.login_owner_id])
      expect(text).not.toContain(s)
    expect(text).not.toContain('tester@example.com')
  })
  it('says nothing for an API-key codex or no codex', async () => {
    const fileCtx = createContext({ ...ctx.config.env, CHATGPT_CODEX_STORE: 'file' })
    expect(await status(fileCtx)).not.toHaveProperty('codex_cli')
    put({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-written-key-123456' })
    expect(await status(fileCtx)).not.toHaveProperty('codex_cli')
  })
})
