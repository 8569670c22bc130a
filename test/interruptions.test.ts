/**
 * Issue 16, items 2 and 3: a rotated token is never lost to an interruption we can prevent.
 *
 * Signals: the emulator holds POST /oauth/token (before the grant is processed, or after the
 * refresh token rotated with the answer not yet sent); while it is held the test sends SIGINT,
 * SIGTERM or SIGHUP to a real `refresh` process, releases the answer, and checks the process
 * ends with a coded `interrupted` result and 128+n only after the new tokens are stored, and that
 * the next call still works. A third point sends the signal just after the release (the answer on
 * its way, the write under way). SIGKILL is tried too, as the case we cannot prevent.
 *
 * Full disk: the state directory on a real 1 MiB tmpfs (mounted here as root), filled with dd:
 * `refresh` fails with `disk_full` before any request and the stored tokens are untouched; after
 * freeing space the next refresh works. A read-only remount gives `state_readonly`. Not root:
 * these skip with the reason (CI runs as root; elsewhere run `sudo npx vitest run
 * test/interruptions.test.ts`).
 */
import { spawn, execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { childEnv, DEFAULT_ENTRY, ROOT, type CliRun } from './helpers/cli.js'
import { figure } from './helpers/figures.js'
import { tempDir, world, type World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
const TRIES_PER_SIGNAL = 10
const POINTS = ['before', 'after', 'released'] as const
type Point = (typeof POINTS)[number]

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Spawns the CLI and hands back the child (to signal it) and its result. */
function spawnCli(w: World, args: string[]) {
  const loader = DEFAULT_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...loader, DEFAULT_ENTRY, ...args], {
    cwd: ROOT,
    env: childEnv(w.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      record(stdout)
      record(stderr)
      let json: Record<string, any> = undefined as never
      try {
        json = JSON.parse(stdout)
      } catch {}
      resolve({ code, signal, stdout, stderr, json })
    })
  })
  return { child, done }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(5)
  }
}

const totals = { tried: 0, lost: 0, interrupted: 0, completed: 0, killLost: 0, killTried: 0 }

describe('signals during a held token request', () => {
  let w: World
  afterAll(async () => {
    await w?.close()
    figure('interruptions', {
      signals: SIGNALS.length,
      tried: totals.tried,
      interrupted_after_write: totals.interrupted,
      completed_before_signal: totals.completed,
      sign_ins_lost: totals.lost,
      sigkill_tried: totals.killTried,
      sigkill_lost: totals.killLost,
    })
  })

  /** One refresh signalled at `point`; returns whether the next call still works. */
  async function oneTry(sig: NodeJS.Signals, point: Point) {
    w.emu.set({ holdToken: point === 'released' ? 'after' : point })
    const { child, done } = spawnCli(w, ['refresh'])
    await until(() => w.emu.held() > 0)
    if (point === 'released') {
      w.emu.set({ holdToken: null })
      w.emu.release()
      await sleep(Math.random() * 15)
      child.kill(sig)
    } else {
      child.kill(sig)
      // The signal has arrived (it is held, not fatal) before the answer is let go.
      await sleep(30)
      w.emu.set({ holdToken: null })
      w.emu.release()
    }
    const r = await done
    const next = await w.cli(['refresh'])
    return { r, next }
  }

  for (const sig of SIGNALS) {
    it(`${sig}: ${TRIES_PER_SIGNAL} refreshes signalled before, after the rotation and after the answer; 0 sign-ins lost`, async () => {
      w ??= await world()
      if (!existsSync(join(w.home, 'credentials.json'))) await w.signIn()
      for (let i = 0; i < TRIES_PER_SIGNAL; i++) {
        const point = POINTS[i % POINTS.length]!
        const { r, next } = await oneTry(sig, point)
        totals.tried++
        if (r.code === 0) {
          totals.completed++
          expect(r.json).toMatchObject({ ok: true })
        } else {
          totals.interrupted++
          expect(r.code, `${sig} at ${point}: ${r.stdout}${r.stderr}`).toBe(EXIT[sig])
          expect(r.json).toMatchObject({ ok: false, code: 'interrupted', signal: sig })
          expect(r.json.completed, r.stdout).toBe(true)
        }
        if (!next.json?.ok) totals.lost++
        expect(next.json, `next call after ${sig} at ${point}`).toMatchObject({ ok: true })
      }
      expect(w.emu.stats.reuse).toBe(0)
    }, 120_000)
  }

  it('SIGKILL after the rotation (the case no process can prevent) loses the sign-in', async () => {
    // Its own world: a SIGKILLed holder leaves the lock until it is stale (6 s here, not 30).
    const w = await world({ env: { CHATGPT_CODEX_LOCK_STALE_MS: '6000' } })
    for (let i = 0; i < 2; i++) {
      await w.cli(['logout'])
      await w.signIn()
      w.emu.set({ holdToken: 'after' })
      const { child, done } = spawnCli(w, ['refresh'])
      await until(() => w.emu.held() > 0)
      child.kill('SIGKILL')
      await done
      w.emu.set({ holdToken: null })
      w.emu.release()
      const next = await w.cli(['refresh'])
      totals.killTried++
      if (next.json?.code === 'refresh_token_reused') totals.killLost++
    }
    await w.close()
    expect(totals.killLost).toBe(2)
  }, 60_000)

  it('a signal while the device code exchange is held: the sign-in is stored, then the exit', async () => {
    const v = await world()
    try {
      v.emu.set({ interval: '0' })
      expect((await v.cli(['start'])).json.ok).toBe(true)
      v.emu.approve()
      v.emu.set({ holdToken: 'after' })
      const { child, done } = spawnCli(v, ['poll'])
      await until(() => v.emu.held() > 0)
      child.kill('SIGTERM')
      await sleep(30)
      v.emu.set({ holdToken: null })
      v.emu.release()
      const r = await done
      expect(r.code, r.stdout).toBe(143)
      expect(r.json).toMatchObject({ ok: false, code: 'interrupted', completed: true })
      const s = await v.cli(['status'])
      expect(s.json.status).toBe('connected')
      expect((await v.cli(['refresh'])).json.ok).toBe(true)
    } finally {
      await v.close()
    }
  }, 60_000)
})

const ROOT_USER = typeof process.getuid === 'function' && process.getuid() === 0
const NOT_ROOT =
  'needs root to mount a tmpfs; run `sudo npx vitest run test/interruptions.test.ts` (CI runs as root)'

/** Mounts a 1 MiB tmpfs at a fresh directory for `fn`, unmounted in all cases. */
async function onTmpfs(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = join(tempDir('cco-tmpfs-'), 'mnt')
  mkdirSync(dir)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir])
  try {
    await fn(dir)
  } finally {
    execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Fills the file system of `dir` (dd stops at ENOSPC, which is the point). */
function fill(dir: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=4k'], { stdio: 'ignore' })
  } catch {
    /* ENOSPC: expected */
  }
  // The last partial block too.
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill2')}`, 'bs=1'], { stdio: 'ignore' })
  } catch {}
}

const disk = { tried: 0, lost: 0, sent_when_full: 0 }

describe.skipIf(!ROOT_USER)(
  `full and read-only disks (${ROOT_USER ? 'real tmpfs' : NOT_ROOT})`,
  () => {
    afterAll(() => figure('full_disk', disk))

    for (const store of ['file', 'codex'] as const) {
      it(`${store} store: a full disk fails with disk_full before the refresh is sent; the old tokens work after`, async () => {
        await onTmpfs(async (dir) => {
          const env: Record<string, string> =
            store === 'file'
              ? { CHATGPT_CODEX_HOME: join(dir, 'state') }
              : {
                  CHATGPT_CODEX_STORE: 'codex',
                  CODEX_HOME: join(dir, 'codex'),
                  CHATGPT_CODEX_HOME: join(dir, 'state'),
                }
          const w = await world({ env })
          try {
            await w.signIn()
            const file =
              store === 'file'
                ? join(dir, 'state', 'credentials.json')
                : join(dir, 'codex', 'auth.json')
            const before = readFileSync(file)
            fill(dir)
            const refreshes = w.emu.stats.refreshes
            const r = await w.cli(['refresh'])
            disk.tried++
            expect(r.json, r.stdout).toMatchObject({ ok: false, code: 'disk_full' })
            expect(w.emu.stats.refreshes - refreshes, 'a refresh was sent on a full disk').toBe(0)
            disk.sent_when_full += w.emu.stats.refreshes - refreshes
            expect(readFileSync(file)).toEqual(before)
            expect(readdirSync(dirname(file)).filter((n) => n.includes('.reserve'))).toEqual([])
            rmSync(join(dir, 'fill'), { force: true })
            rmSync(join(dir, 'fill2'), { force: true })
            const again = await w.cli(['refresh'])
            if (!again.json?.ok) disk.lost++
            expect(again.json, again.stdout).toMatchObject({ ok: true })
            expect(w.emu.stats.reuse).toBe(0)
          } finally {
            await w.close()
          }
        })
      }, 60_000)
    }

    it('a read-only state dir gives state_readonly, not internal_error', async () => {
      await onTmpfs(async (dir) => {
        const w = await world({ env: { CHATGPT_CODEX_HOME: join(dir, 'state') } })
        try {
          await w.signIn()
          execFileSync('mount', ['-o', 'remount,ro', dir])
          const r = await w.cli(['refresh'])
          expect(r.json, r.stdout).toMatchObject({ ok: false, code: 'state_readonly' })
          expect(w.emu.stats.refreshes).toBe(0)
          execFileSync('mount', ['-o', 'remount,rw', dir])
          expect((await w.cli(['refresh'])).json.ok).toBe(true)
        } finally {
          await w.close()
        }
      })
    }, 60_000)
  },
)

function dirname(p: string): string {
  return p.slice(0, p.lastIndexOf('/'))
}

describe('a symlinked credentials.lock', () => {
  it('is refused with state_unsafe, and nothing is written through it', async () => {
    const w = await world()
    try {
      await w.signIn()
      const outside = tempDir('cco-outside-')
      writeFileSync(join(outside, 'victim'), 'keep')
      const { symlinkSync } = await import('node:fs')
      symlinkSync(join(outside, 'victim'), join(w.home, 'credentials.lock'))
      const r = await w.cli(['refresh'])
      expect(r.json, r.stdout).toMatchObject({ ok: false, code: 'state_unsafe' })
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('keep')
      symlinkSync(outside, join(w.home, 'pending.lock'))
      const s = await w.cli(['start', '--force'])
      expect(s.json, s.stdout).toMatchObject({ ok: false, code: 'state_unsafe' })
      expect(readdirSync(outside)).toEqual(['victim'])
      // gateway.log is opened O_NOFOLLOW: serve --detach refuses it, the target is untouched.
      symlinkSync(join(outside, 'victim'), join(w.home, 'gateway.log'))
      const g = await w.cli(['serve', '--detach'])
      expect(g.json, g.stdout).toMatchObject({ ok: false, code: 'state_unsafe' })
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('keep')
    } finally {
      await w.close()
    }
  }, 60_000)
})

leakScan(import.meta.url)
