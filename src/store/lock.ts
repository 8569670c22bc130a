/**
 * Cross-process lock around read-modify-write of state. proper-lockfile keeps the lock fresh
 * while held (mtime updates) and treats one older than `staleMs` as abandoned, so a holder
 * killed with SIGKILL blocks others for at most `staleMs`. Waiting is bounded by `waitMs`.
 */
import type { Ctx } from '../context.js'
import { SkillError } from '../result.js'
import { fsError, refuseSymlink } from './fsafe.js'

/** How long a lock lives without refresh (`staleMs`) and how long a caller waits (`waitMs`). */
export interface LockOptions {
  staleMs: number
  waitMs: number
  /** The clock the wait is measured on (the context's; `Date.now` when not given). */
  now?: () => number
}

/**
 * The state locks' options from the context (`CHATGPT_CODEX_LOCK_STALE_MS`,
 * `CHATGPT_CODEX_LOCK_WAIT_MS`, and its clock): the one place they are unpacked. Never throws.
 */
export const lockOptions = (ctx: Ctx): LockOptions => ({
  staleMs: ctx.config.lockStaleMs,
  waitMs: ctx.config.lockWaitMs,
  now: ctx.now,
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Runs `fn` while holding the lock on `target` (a `<target>.lock` directory is created).
 * @throws SkillError `lock_timeout` when the lock cannot be had within `waitMs`.
 */
export async function withLock<T>(
  target: string,
  opts: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  // Loaded on first use: read-only commands never pay for the lock library.
  const { default: lockfile } = await import('proper-lockfile')
  // proper-lockfile stats (follows) and removes a stale lock through whatever stands there: a
  // symlinked `<target>.lock` is refused before it is touched.
  refuseSymlink(`${target}.lock`)
  const now = opts.now ?? Date.now
  const deadline = now() + opts.waitMs
  let release: () => Promise<void>
  for (let attempt = 0; ; attempt++) {
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        stale: opts.staleMs,
        retries: 0,
        // A compromised lock (our mtime updates stalled past `stale`) must not crash the
        // process with an uncaught throw; the atomic write still leaves a valid file.
        onCompromised: () => {},
      })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw fsError(err, `${target}.lock`)
      if (now() >= deadline) {
        throw new SkillError(
          'lock_timeout',
          `Another process held the state lock for more than ${opts.waitMs} ms`,
        )
      }
      // Jittered back-off: many processes waking at once would otherwise stampede.
      await sleep(Math.min(200, 10 + attempt * 10) * (0.5 + Math.random()))
    }
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
