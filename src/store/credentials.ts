/**
 * The credential store: where signed-in tokens live. One interface, two implementations:
 * this tool's own file (default) and the Codex CLI's auth.json (`CHATGPT_CODEX_STORE=codex`).
 */
import type { Ctx } from '../context.js'
import { registerSecret } from '../redact.js'
import { ensureDir, type FixNote } from './fsafe.js'
import { moveAside, readJson, removeFile, writeJson } from './json-file.js'
import { withLock } from './lock.js'
import { statePaths } from './paths.js'
import { Credentials } from './schemas.js'

export interface CredentialStore {
  readonly kind: 'file' | 'codex'
  /** The file holding the tokens (shown to users; never its content). */
  readonly path: string
  /** Reads without locking. @throws SkillError `state_corrupt` | `state_unsafe`. */
  read(fixes?: FixNote[]): Promise<Credentials | undefined>
  /** Runs `fn` holding this store's cross-process write lock. */
  locked<T>(fn: () => Promise<T>): Promise<T>
  /** Replaces the stored credentials. Call inside `locked`. */
  write(creds: Credentials): Promise<void>
  /** Deletes the stored credentials. Call inside `locked`. */
  remove(): Promise<boolean>
  /** Moves an unreadable credentials file aside; returns where it went. Call inside `locked`. */
  quarantine(): Promise<string | undefined>
}

/** Registers every token of a credentials object with the redaction layer. */
export function registerCredentials(creds: Credentials | undefined): Credentials | undefined {
  if (creds) for (const v of Object.values(creds.tokens)) registerSecret(v)
  return creds
}

/** This tool's own store: `<home>/credentials.json`, 0600, locked with proper-lockfile. */
export function fileStore(ctx: Ctx): CredentialStore {
  const p = statePaths(ctx.config.home)
  const { lockStaleMs: staleMs, lockWaitMs: waitMs } = ctx.config
  return {
    kind: 'file',
    path: p.credentials,
    async read(fixes) {
      await ensureDir(p.home, fixes)
      return registerCredentials(await readJson(p.credentials, Credentials, fixes))
    },
    async locked(fn) {
      await ensureDir(p.home)
      return withLock(p.credentialsLock, { staleMs, waitMs }, fn)
    },
    write: async (creds) => {
      await writeJson(p.credentials, creds, { locked: true })
    },
    remove: () => removeFile(p.credentials),
    quarantine: () => moveAside(p.credentials, ctx.now()),
  }
}

let codexFactory: ((ctx: Ctx) => CredentialStore) | undefined

/** Lets the codex store register itself without this module importing it eagerly. */
export function setCodexStoreFactory(factory: (ctx: Ctx) => CredentialStore): void {
  codexFactory = factory
}

/** The store selected by `CHATGPT_CODEX_STORE`. */
export async function openStore(ctx: Ctx): Promise<CredentialStore> {
  if (ctx.config.store === 'codex') {
    if (!codexFactory) await import('./codex-store.js')
    return codexFactory!(ctx)
  }
  return fileStore(ctx)
}
