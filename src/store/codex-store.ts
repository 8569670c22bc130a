/**
 * The Codex CLI's own auth.json as the credential store (`CHATGPT_CODEX_STORE=codex`), so the
 * skill and codex act as one client on one refresh-token lineage instead of two clients
 * fighting over copies of it.
 *
 * ## Codex's lock discipline (0.169.0, observed with strace; see docs/codex-cli.md#codexs-lock-discipline-and-how-we-follow-it)
 * - Readers take no lock: codex opens auth.json read-only whenever it loads or reloads auth.
 * - Every write (login, refresh, logout's delete):
 *   1. open `$CODEX_HOME/auth.lock` (created 0644) and `flock(LOCK_EX)`, blocking;
 *   2. re-read auth.json and give up if it changed since the snapshot the write was based on
 *      ("Credentials changed before refresh commit");
 *   3. open `$CODEX_HOME/auth.json.lock` (created 0600) and `flock(LOCK_EX | LOCK_NB)`; if
 *      that is busy the write fails ("Auth storage commit lock is unavailable");
 *   4. write `.auth-XXXXXX` (0600), fsync, rename over auth.json; close both locks.
 * - The refresh request itself is sent with no lock held; the lock only guards the commit.
 *
 * We take the same two locks in the same order: `auth.lock` for the whole read-refresh-write
 * (`locked`), so a codex commit waits for ours and then sees the file changed, and
 * `auth.json.lock` only around the rename (`write`/`remove`), as codex does. Holding
 * `auth.lock` through our refresh never blocks codex readers.
 *
 * The `reauth` marker (a dead refresh token) lives in our state dir, keyed by a hash of the
 * dead refresh token: codex's file has no place for it, and a new codex login (a new token)
 * makes the marker stale by itself.
 */
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import { SkillError } from '../result.js'
import { credentialsOf, foreignModeError, mergeCodexAuth, parseCodexAuth } from './codex-auth.js'
import { registerCredentials, type CredentialStore } from './credential-store.js'
import { flockExclusive } from './flock.js'
import { ensureDir, readPrivate, type FixNote } from './fsafe.js'
import {
  moveAside,
  readJson,
  removeFile,
  reserveSpace,
  writeJson,
  type Reservation,
} from './json-file.js'
import { Credentials, Reauth } from './schemas.js'

/** codex holds auth.json.lock for the few ms of a rename, always under auth.lock. */
const COMMIT_WAIT_MS = 2_000

const Marker = z.object({
  schemaVersion: z.literal(1),
  refresh_token_sha256: z.string(),
  reauth: Reauth,
})

const fingerprint = (refreshToken: string) =>
  createHash('sha256').update(refreshToken).digest('hex')

/** The Codex CLI's files under `CODEX_HOME`: auth.json and its two locks. Never throws. */
export const codexPaths = (codexHome: string) => ({
  auth: join(codexHome, 'auth.json'),
  /** codex's outer write lock (blocking flock). */
  storageLock: join(codexHome, 'auth.lock'),
  /** codex's commit lock (non-blocking flock around the rename). */
  commitLock: join(codexHome, 'auth.json.lock'),
})

/**
 * The codex store. `CODEX_HOME` (default `~/.codex`) comes from the config.
 * Its methods throw SkillError `state_corrupt`, `state_unsafe`, `codex_api_key_mode` (read), `lock_timeout` (locked).
 * @see docs/protocol.md#6-authjson-credential-stores-login-status-logout
 */
export function codexStore(ctx: Ctx): CredentialStore {
  const p = codexPaths(ctx.config.codexHome)
  const markerPath = join(ctx.config.home, 'codex-reauth.json')
  const { lockWaitMs } = ctx.config
  let reservation: Reservation | undefined

  async function readFile(fixes?: FixNote[]) {
    const text = await readPrivate(p.auth, fixes)
    return text === undefined ? undefined : parseCodexAuth(p.auth, text)
  }

  async function readMarker() {
    try {
      return await readJson(markerPath, Marker)
    } catch (err) {
      // A damaged marker only loses a hint; the issuer will say the token is dead again.
      if (err instanceof SkillError && err.code === 'state_corrupt') return undefined
      throw err
    }
  }

  /** Runs one change of auth.json under codex's commit lock, refusing non-ChatGPT files. */
  async function commit(
    change: (current: Record<string, unknown> | undefined) => Promise<unknown>,
  ) {
    const release = await flockExclusive(p.commitLock, 0o600, COMMIT_WAIT_MS)
    try {
      const current = await readFile()
      if (current && current.mode !== 'chatgpt') throw foreignModeError(p.auth, current.mode)
      await change(current?.raw)
    } finally {
      await release()
    }
  }

  return {
    kind: 'codex',
    path: p.auth,
    async read(fixes) {
      const file = await readFile(fixes)
      const creds = file && registerCredentials(credentialsOf(p.auth, file))
      if (!creds) return undefined
      const marker = await readMarker()
      if (marker?.refresh_token_sha256 === fingerprint(creds.tokens.refresh_token)) {
        return { ...creds, reauth: marker.reauth }
      }
      return creds
    },
    async locked(fn) {
      await fsp.mkdir(ctx.config.codexHome, { recursive: true, mode: 0o700 })
      const release = await flockExclusive(p.storageLock, 0o644, lockWaitMs)
      try {
        return await fn()
      } finally {
        await release()
      }
    },
    async write(creds) {
      if (creds.reauth) {
        // The tokens did not change; only remember that they are dead.
        await ensureDir(ctx.config.home)
        const marker = {
          schemaVersion: 1,
          refresh_token_sha256: fingerprint(creds.tokens.refresh_token),
          reauth: creds.reauth,
        }
        await writeJson(markerPath, marker)
        return []
      }
      // An unreadable auth.json is refused by commit (state_corrupt), never overwritten.
      await commit((current) =>
        writeJson(p.auth, mergeCodexAuth(current, creds, ctx.config.clientId), {
          locked: true,
          reservation,
        }),
      )
      reservation = undefined
      await removeFile(markerPath)
      return []
    },
    async reserve() {
      reservation = await reserveSpace(p.auth)
      return reservation
    },
    async remove() {
      let removed = false
      await commit(async () => {
        removed = await removeFile(p.auth)
      })
      await removeFile(markerPath)
      return removed
    },
    quarantine: () => moveAside(p.auth, ctx.now()),
  }
}
