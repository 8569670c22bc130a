/**
 * Bad local state: each case is detected and reported with a hint, and nothing is lost (the
 * state directory's bytes, modes and links are compared before and after). Cases: empty,
 * truncated, not JSON, a foreign shape, a future schema version; a symlinked state file (refused
 * on read and never written through) or state dir; loose permissions (fixed and reported);
 * a directory or file owned by another user (refused).
 *
 * Most calls run in-process on real files (fast); a few run through the real CLI. The issuer
 * points at a closed loopback port, so an unexpected request would show as network_error.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { fileStore } from '../src/store/credentials.js'
import { runCli } from './helpers/cli.js'
import { figure } from './helpers/figures.js'
import { leakScan } from './helpers/leaks.js'
import { call, fakeCredentials, fakePending, snapshot } from './helpers/state.js'

const root = mkdtempSync(join(tmpdir(), 'cco-badstate-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let cases = 0

/** A fresh state dir (0700) with the given files (mode 0600 unless said). */
function stateDir(
  name: string,
  files: Record<string, string> = {},
): { home: string; env: Record<string, string> } {
  const home = join(root, name, 'state')
  mkdirSync(home, { recursive: true, mode: 0o700 })
  for (const [f, text] of Object.entries(files)) writeFileSync(join(home, f), text, { mode: 0o600 })
  const env = {
    HOME: join(root, name),
    CHATGPT_CODEX_HOME: home,
    CHATGPT_CODEX_ISSUER: 'http://127.0.0.1:9',
    CHATGPT_CODEX_BACKEND_URL: 'http://127.0.0.1:9/backend-api',
    CHATGPT_CODEX_TIMEOUT_MS: '1000',
  }
  return { home, env }
}

const valid = JSON.stringify(fakeCredentials(), null, 2)
const CONTENT: Record<string, string> = {
  empty: '',
  truncated: valid.slice(0, Math.floor(valid.length / 2)),
  not_json: 'this is not json\n',
  foreign_shape: JSON.stringify({ type: 'oauth', access: 'x', refresh: 'y', expires: 1 }),
  json_array: '[]',
  future_schema: JSON.stringify({ ...fakeCredentials(), schemaVersion: 2 }),
}

describe('unreadable credentials.json', () => {
  for (const [kind, text] of Object.entries(CONTENT)) {
    it(`${kind}: status, refresh and doctor report it with a hint; logout moves it aside intact`, async () => {
      cases++
      const { home, env } = stateDir(`creds-${kind}`, { 'credentials.json': text })
      const before = snapshot(home)
      const expected = kind === 'future_schema' ? /newer version/ : /unreadable/
      for (const fn of ['status', 'refresh', 'start', 'doctor']) {
        const r = await call(fn, env)
        if (fn === 'doctor') {
          const id = kind === 'future_schema' ? 'state_schema_newer' : 'state_file_corrupt'
          expect(r.findings).toContainEqual(expect.objectContaining({ id, severity: 'error' }))
          expect(r.findings.find((f: any) => f.id === id).hint).toMatch(/\S/)
        } else {
          expect(r, fn).toMatchObject({ ok: false, code: 'state_corrupt', retryable: false })
          expect(r.error).toMatch(expected)
          expect(r.hint).toMatch(kind === 'future_schema' ? /Upgrade/ : /logout/)
          expect(r.path).toBe(join(home, 'credentials.json'))
        }
        expect(snapshot(home), `${fn} changed the state dir`).toEqual(before)
      }
      const out = await call('logout', env)
      expect(out).toMatchObject({ ok: true, was_signed_in: false, revoked: null })
      expect(out.moved_aside).toHaveLength(1)
      expect(readFileSync(out.moved_aside[0], 'utf8')).toBe(text)
      expect(existsSync(join(home, 'credentials.json'))).toBe(false)
    })
  }
})

describe('unreadable pending.json', () => {
  for (const [kind, text] of Object.entries(CONTENT)) {
    it(`${kind}: status, start and poll report it; nothing changes`, async () => {
      cases++
      const body =
        kind === 'future_schema' ? JSON.stringify({ ...fakePending(), schemaVersion: 3 }) : text
      const { home, env } = stateDir(`pending-${kind}`, { 'pending.json': body })
      const before = snapshot(home)
      for (const fn of ['status', 'start', 'poll']) {
        const r = await call(fn, env)
        expect(r, fn).toMatchObject({ ok: false, code: 'state_corrupt' })
        expect(r.hint).toMatch(/\S/)
        expect(snapshot(home)).toEqual(before)
      }
    })
  }
})

describe('symlinks', () => {
  it('a symlinked credentials.json is refused on read and never written through', async () => {
    cases++
    const { home, env } = stateDir('symlink-creds')
    const target = join(root, 'symlink-creds', 'elsewhere.json')
    writeFileSync(target, valid, { mode: 0o600 })
    symlinkSync(target, join(home, 'credentials.json'))
    const before = snapshot(join(root, 'symlink-creds'))
    for (const fn of ['status', 'refresh', 'logout', 'start']) {
      const r = await call(fn, env)
      expect(r, fn).toMatchObject({ ok: false, code: 'state_unsafe' })
      expect(r.error).toMatch(/symbolic link/)
      expect(r.hint).toMatch(/CHATGPT_CODEX_HOME/)
    }
    // A write path that does not read first (a finished sign-in) is refused as well.
    const store = fileStore(createContext(env))
    await expect(store.locked(() => store.write(fakeCredentials()))).rejects.toMatchObject({
      code: 'state_unsafe',
    })
    const d = await call('doctor', env)
    expect(d.findings).toContainEqual(
      expect.objectContaining({ id: 'state_file_unsafe', severity: 'error' }),
    )
    expect(snapshot(join(root, 'symlink-creds'))).toEqual(before)
    expect(readFileSync(target, 'utf8')).toBe(valid)
  })

  it('a symlinked pending.json is refused by start and poll', async () => {
    cases++
    const { home, env } = stateDir('symlink-pending')
    const target = join(root, 'symlink-pending', 'elsewhere.json')
    writeFileSync(target, JSON.stringify(fakePending()), { mode: 0o600 })
    symlinkSync(target, join(home, 'pending.json'))
    const before = snapshot(join(root, 'symlink-pending'))
    for (const fn of ['start', 'poll', 'status']) {
      expect(await call(fn, env), fn).toMatchObject({ ok: false, code: 'state_unsafe' })
    }
    expect(snapshot(join(root, 'symlink-pending'))).toEqual(before)
  })

  it('a state dir that is a symlink is refused', async () => {
    cases++
    const real = join(root, 'symlink-dir', 'real')
    mkdirSync(real, { recursive: true, mode: 0o700 })
    writeFileSync(join(real, 'credentials.json'), valid, { mode: 0o600 })
    const link = join(root, 'symlink-dir', 'state')
    symlinkSync(real, link)
    const { env } = stateDir('symlink-dir-env')
    const r = await call('status', { ...env, CHATGPT_CODEX_HOME: link })
    expect(r).toMatchObject({ ok: false, code: 'state_unsafe' })
    const d = await call('doctor', { ...env, CHATGPT_CODEX_HOME: link })
    expect(d.findings).toContainEqual(expect.objectContaining({ id: 'state_dir_unsafe' }))
  })
})

describe('permissions and owners', () => {
  it('loose modes: doctor reports them untouched; status fixes them to 0700/0600 and says so', async () => {
    cases++
    const { home, env } = stateDir('loose', {
      'credentials.json': valid,
      'pending.json': JSON.stringify(fakePending()),
    })
    chmodSync(home, 0o755)
    chmodSync(join(home, 'credentials.json'), 0o644)
    chmodSync(join(home, 'pending.json'), 0o666)
    const before = snapshot(join(root, 'loose'))
    const d = await call('doctor', env)
    const ids = d.findings.map((f: any) => f.id)
    expect(ids).toEqual(expect.arrayContaining(['state_dir_mode', 'state_file_mode']))
    expect(d.findings.filter((f: any) => f.id === 'state_file_mode')).toHaveLength(2)
    expect(snapshot(join(root, 'loose'))).toEqual(before)

    const s = await call('status', env)
    expect(s).toMatchObject({ ok: true, status: 'connected' })
    expect(s.fixed_permissions).toEqual(
      expect.arrayContaining([
        { path: home, from: '0755', to: '0700' },
        { path: join(home, 'credentials.json'), from: '0644', to: '0600' },
        { path: join(home, 'pending.json'), from: '0666', to: '0600' },
      ]),
    )
    const after = snapshot(join(root, 'loose'))
    expect(after[home]).toMatch(/^700 /)
    expect(after[join(home, 'credentials.json')]).toMatch(/^600 /)
    // Only the modes changed: the bytes are the same.
    expect(after[join(home, 'credentials.json')]!.split(' ')[2]).toBe(
      before[join(home, 'credentials.json')]!.split(' ')[2],
    )
    expect((await call('status', env)).fixed_permissions).toBeUndefined()
  })

  it('a state dir owned by another user is refused, read or write, and left alone', async () => {
    cases++
    const { home, env } = stateDir('foreign-dir', { 'credentials.json': valid })
    chownSync(home, 12345, 12345)
    const before = snapshot(join(root, 'foreign-dir'))
    for (const fn of ['status', 'refresh', 'start', 'logout']) {
      const r = await call(fn, env)
      expect(r, fn).toMatchObject({ ok: false, code: 'state_unsafe' })
      expect(r.error).toMatch(/owned by uid 12345/)
    }
    const d = await call('doctor', env)
    expect(d.findings).toContainEqual(
      expect.objectContaining({ id: 'state_dir_unsafe', severity: 'error' }),
    )
    expect(snapshot(join(root, 'foreign-dir'))).toEqual(before)
  })

  it('a credentials file owned by another user is refused, and not overwritten', async () => {
    cases++
    const { home, env } = stateDir('foreign-file', { 'credentials.json': valid })
    chownSync(join(home, 'credentials.json'), 12345, 12345)
    const before = snapshot(home)
    expect(await call('status', env)).toMatchObject({ ok: false, code: 'state_unsafe' })
    const store = fileStore(createContext(env))
    await expect(store.locked(() => store.write(fakeCredentials()))).rejects.toMatchObject({
      code: 'state_unsafe',
    })
    expect(snapshot(home)).toEqual(before)
  })
})

describe('the same through real CLI processes', () => {
  it('empty credentials, symlinked credentials, foreign dir: one JSON line each, exit 1', async () => {
    const a = stateDir('cli-empty', { 'credentials.json': '' })
    const b = stateDir('cli-link')
    symlinkSync(join(root, 'nowhere.json'), join(b.home, 'credentials.json'))
    const c = stateDir('cli-foreign')
    chownSync(c.home, 12345, 12345)
    const runs = await Promise.all([
      runCli(['status'], a.env),
      runCli(['refresh'], b.env),
      runCli(['status'], c.env),
    ])
    expect(runs.map((r) => [r.code, r.json?.code])).toEqual([
      [1, 'state_corrupt'],
      [1, 'state_unsafe'],
      [1, 'state_unsafe'],
    ])
    for (const r of runs) expect(r.stderr).toBe('')
    expect(existsSync(join(root, 'nowhere.json'))).toBe(false)
    figure('bad_state', { cases })
  })
})

leakScan(import.meta.url)
