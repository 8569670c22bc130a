/** The pending login (device or browser), kept between the short-lived start/poll processes. */
import { randomBytes } from 'node:crypto'
import type { Ctx } from '../context.js'
import { registerSecret } from '../redact.js'
import { ensureDir, type FixNote } from './fsafe.js'
import { readJson, removeFile, writeJson, moveAside } from './json-file.js'
import { lockOptions, withLock } from './lock.js'
import { statePaths } from './paths.js'
import { Pending } from './schemas.js'

/**
 * A new pending login's id, shown to the agent in results; random and unrelated to any upstream
 * identifier. Never throws.
 */
export const newPendingId = () => `pl_${randomBytes(9).toString('base64url')}`

/**
 * The pending login's file (`<state>/pending.json`) and its cross-process lock. `read` throws
 * SkillError `state_corrupt` | `state_unsafe`; `locked` throws `lock_timeout`; writes throw
 * `state_unsafe`. Registers the device_auth_id / code verifier it reads for redaction.
 */
export const pendingStore = (ctx: Ctx) => {
  const p = statePaths(ctx.config.home)
  return {
    path: p.pending,
    async read(fixes?: FixNote[]): Promise<Pending | undefined> {
      await ensureDir(p.home, fixes)
      const pending = await readJson(p.pending, Pending, fixes)
      if (pending?.method === 'device') registerSecret(pending.device_auth_id)
      if (pending?.method === 'browser') registerSecret(pending.code_verifier)
      return pending
    },
    async locked<T>(fn: () => Promise<T>): Promise<T> {
      await ensureDir(p.home)
      return withLock(p.pendingLock, lockOptions(ctx), fn)
    },
    /** Replaces the pending login; an unreadable file there is moved aside, never overwritten. */
    write: async (pending: Pending) => {
      const keep = { schema: Pending, now: ctx.now() }
      return (await writeJson(p.pending, pending, { locked: true, keep })).moved_aside
    },
    remove: () => removeFile(p.pending),
    quarantine: () => moveAside(p.pending, ctx.now()),
  }
}
export type PendingStore = ReturnType<typeof pendingStore>
