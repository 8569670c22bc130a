/**
 * The credential store's contract, shared by its two implementations: this tool's own file
 * (src/store/credentials.ts) and the Codex CLI's auth.json (src/store/codex-store.ts).
 */
import { registerSecret } from '../redact.js'
import type { FixNote } from './fsafe.js'
import type { MovedAside, Reservation } from './json-file.js'
import type { Credentials } from './schemas.js'

export interface CredentialStore {
  readonly kind: 'file' | 'codex'
  /** The file holding the tokens (shown to users; never its content). */
  readonly path: string
  /** Reads without locking. @throws SkillError `state_corrupt` | `state_unsafe`. */
  read(fixes?: FixNote[]): Promise<Credentials | undefined>
  /** Runs `fn` holding this store's cross-process write lock. */
  locked<T>(fn: () => Promise<T>): Promise<T>
  /**
   * Replaces the stored credentials. Call inside `locked`. A file there that fails validation is
   * moved aside first, never overwritten; the move is returned for the result.
   * @throws SkillError `disk_full` | `state_readonly` | `state_unsafe`.
   */
  write(creds: Credentials): Promise<MovedAside[]>
  /**
   * Sets aside disk space for the next {@link write} (which uses and frees it). Call inside
   * `locked`, before a request that rotates tokens: a full disk fails here, before the issuer
   * changes anything. @throws SkillError `disk_full` | `state_readonly` | `state_unsafe`.
   */
  reserve(): Promise<Reservation>
  /** Deletes the stored credentials. Call inside `locked`. */
  remove(): Promise<boolean>
  /** Moves an unreadable credentials file aside; returns where it went. Call inside `locked`. */
  quarantine(): Promise<string | undefined>
}

/** Registers every token of a credentials object with the redaction layer. Never throws. */
export function registerCredentials(creds: Credentials | undefined): Credentials | undefined {
  if (creds) for (const v of Object.values(creds.tokens)) registerSecret(v)
  return creds
}
