/**
 * The cross-process lock's bounds: the stale timeout outlives a refresh's HTTP timeout, a lock
 * left by a SIGKILLed holder is taken over within a bounded time, and a call that cannot get
 * the lock returns `lock_timeout` instead of hanging.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { ROOT, runCli } from './helpers/cli.js'
import { figure } from './helpers/figures.js'
import { leakScan } from './helpers/leaks.js'

const root = mkdtempSync(join(tmpdir(), 'cco-lock-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

/** Starts a child that takes the credentials lock of `home` and holds it; resolves once held. */
function holdLock(home: string, staleMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/lock-holder.ts', home, String(staleMs)],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    children.push(child)
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('locked\n')) resolve(child)
    })
    child.on('error', reject)
    child.on('exit', () => reject(new Error(`lock holder exited early: ${out}`)))
  })
}

const killed = (c: ChildProcess) =>
  new Promise<void>((r) => {
    c.once('exit', () => r())
    c.kill('SIGKILL')
  })

describe('lock timing', () => {
  it('refuses a stale timeout that is not longer than the HTTP timeout; defaults respect it', () => {
    const base = { HOME: root }
    expect(() =>
      loadConfig({
        ...base,
        CHATGPT_CODEX_TIMEOUT_MS: '5000',
        CHATGPT_CODEX_LOCK_STALE_MS: '5000',
      }),
    ).toThrow(/LOCK_STALE_MS must be longer/)
    expect(() =>
      loadConfig({
        ...base,
        CHATGPT_CODEX_TIMEOUT_MS: '9000',
        CHATGPT_CODEX_LOCK_STALE_MS: '3000',
      }),
    ).toThrow(/LOCK_STALE_MS/)
    for (const timeout of ['100', '1000', '15000', '60000', '600000']) {
      const c = loadConfig({ ...base, CHATGPT_CODEX_TIMEOUT_MS: timeout })
      expect(c.lockStaleMs).toBeGreaterThan(c.timeoutMs)
      // Waiting covers one full stale period plus a refresh, so a waiter outlasts a dead holder.
      expect(c.lockWaitMs).toBeGreaterThanOrEqual(c.lockStaleMs)
    }
  })

  it('a CLI call reports invalid_config for such a pair, naming the variable', async () => {
    const r = await runCli(['status'], {
      HOME: root,
      CHATGPT_CODEX_HOME: join(root, 'cfg'),
      CHATGPT_CODEX_TIMEOUT_MS: '4000',
      CHATGPT_CODEX_LOCK_STALE_MS: '3000',
    })
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({ ok: false, code: 'invalid_config' })
    expect(r.json.error).toContain('CHATGPT_CODEX_LOCK_STALE_MS')
  })

  it('recovers a lock left by a SIGKILLed holder within the stale bound', async () => {
    const home = join(root, 'dead')
    const staleMs = 2000
    const holder = await holdLock(home, staleMs)
    await killed(holder)
    const t0 = Date.now()
    const r = await runCli(['logout'], {
      HOME: root,
      CHATGPT_CODEX_HOME: home,
      CHATGPT_CODEX_TIMEOUT_MS: '1000',
      CHATGPT_CODEX_LOCK_STALE_MS: String(staleMs),
    })
    const elapsed = Date.now() - t0
    expect(r.json).toMatchObject({ ok: true, status: 'disconnected' })
    // At most one stale period after the holder's last mtime update, plus a process start.
    expect(elapsed).toBeLessThan(staleMs + 4000)
    figure('lock_recovery', { stale_ms: staleMs, recovered_after_ms: elapsed })
  })

  it('returns lock_timeout (retryable) after CHATGPT_CODEX_LOCK_WAIT_MS while a live process holds the lock', async () => {
    const home = join(root, 'live')
    const holder = await holdLock(home, 3000)
    const t0 = Date.now()
    const r = await runCli(['logout'], {
      HOME: root,
      CHATGPT_CODEX_HOME: home,
      CHATGPT_CODEX_TIMEOUT_MS: '1000',
      CHATGPT_CODEX_LOCK_STALE_MS: '3000',
      CHATGPT_CODEX_LOCK_WAIT_MS: '500',
    })
    const elapsed = Date.now() - t0
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({ ok: false, code: 'lock_timeout', retryable: true })
    expect(r.json.hint).toMatch(/doctor/)
    // A live holder keeps the lock fresh: the caller gave up after its wait, not after stale.
    expect(elapsed).toBeLessThan(3000 + 1500)
    const d = await runCli(['doctor'], { HOME: root, CHATGPT_CODEX_HOME: home })
    expect(d.json.findings).toContainEqual(
      expect.objectContaining({ id: 'lock_held', severity: 'info' }),
    )
    await killed(holder)
    figure('lock_timeout', { wait_ms: 500, returned_after_ms: elapsed })
  })
})

leakScan(import.meta.url)
