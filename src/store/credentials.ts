/**
 * The credential store: where signed-in tokens live. One interface, two implementations:
 * this tool's own file (default) and the Codex CLI's auth.json (`CHATGPT_CODEX_STORE=codex`).
 */
import type { Ctx } from '../context.js'
import { registerCredentials, type CredentialStore } from './credential-store.js'
import { ensureDir } from './fsafe.js'
import {
  moveAside,
  readJson,
  removeFile,
  reserveSpace,
  writeJson,
  type Reservation,
} from './json-file.js'
import { lockOptions, withLock } from './lock.js'
import { statePaths } from './paths.js'
import { Credentials } from './schemas.js'

export type { CredentialStore } from './credential-store.js'

/**
 * This tool's own store: `<home>/credentials.json`, 0600, locked with proper-lockfile. Its
 * methods throw SkillError `state_corrupt` | `state_unsafe` (read), `lock_timeout` (locked).
 */
export function fileStore(ctx: Ctx): CredentialStore {
  const p = statePaths(ctx.config.home)
  let reservation: Reservation | undefined
  return {
    kind: 'file',
    path: p.credentials,
    async read(fixes) {
      await ensureDir(p.home, fixes)
      return registerCredentials(await readJson(p.credentials, Credentials, fixes))
    },
    async locked(fn) {
      await ensureDir(p.home)
      return withLock(p.credentialsLock, lockOptions(ctx), fn)
    },
    async write(creds) {
      const keep = { schema: Credentials, now: ctx.now() }
      const r = await writeJson(p.credentials, creds, { locked: true, keep, reservation })
      reservation = undefined
      return r.moved_aside ? [r.moved_aside] : []
    },
    async reserve() {
      await ensureDir(p.home)
      reservation = await reserveSpace(p.credentials)
      return reservation
    },
    remove: () => removeFile(p.credentials),
    quarantine: () => moveAside(p.credentials, ctx.now()),
  }
}

/**
 * The store selected by `CHATGPT_CODEX_STORE`: this tool's file, or the Codex CLI's auth.json
 * (loaded only then, so the default path never reads the codex module). Never throws.
 */
export async function openStore(ctx: Ctx): Promise<CredentialStore> {
  if (ctx.config.store === 'codex') return (await import('./codex-store.js')).codexStore(ctx)
  return fileStore(ctx)
}
