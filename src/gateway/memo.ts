/**
 * What the gateway keeps in memory between requests: the credentials until their file changes
 * (one stat per request), and the catalog (revalidated in the background after a minute). Any
 * process may refresh, log out or sign in again: the next request sees it without a restart.
 */
import { statSync } from 'node:fs'
import type { Ctx } from '../context.js'
import { loadCatalog, type RawModel } from '../backend/models.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'

const CATALOG_TTL_MS = 60_000
/** An unknown slug reloads the catalog at most this often. */
const UNKNOWN_RELOAD_MS = 10_000

/**
 * Wraps a store so `read()` re-parses only when the file's identity (inode, size, mtime) changes.
 * Fails as the wrapped store does (`state_corrupt`, `state_unsafe`).
 */
export function memoStore(inner: CredentialStore): CredentialStore {
  let key = ''
  let value: Credentials | undefined
  // One stat per request: a request reads the credentials twice (the sign-in check, then the
  // fresh-token check) within one tick; the check is trusted until the next tick.
  let checked = false
  const expire = () => {
    checked = false
  }
  return {
    kind: inner.kind,
    path: inner.path,
    // Under the lock, and after any change of ours, the file is looked at again.
    locked: (fn) =>
      inner.locked(() => {
        checked = false
        return fn()
      }),
    write: (c) => ((checked = false), inner.write(c)),
    reserve: () => inner.reserve(),
    remove: () => ((checked = false), inner.remove()),
    quarantine: () => ((checked = false), inner.quarantine()),
    async read(fixes) {
      // Synchronous on purpose: a few microseconds for one small local file, where a threadpool
      // round trip per request costs the gateway a measurable slice of its latency.
      if (checked && !fixes) return value
      const st = statSync(inner.path, { throwIfNoEntry: false })
      const k = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent'
      if (k !== key || fixes) {
        value = await inner.read(fixes)
        key = k
      }
      checked = true
      process.nextTick(expire)
      return value
    },
  }
}

/** What the routes check a model against. */
export interface GatewayCatalog {
  models: RawModel[]
  /** False for the bundled fallback: an unknown slug is then forwarded, not refused. */
  known: boolean
}

/**
 * The catalog in memory. After a minute it is reloaded in the background while requests keep
 * using the one in hand (a live catalog fetch never sits in front of a request); a slug it does
 * not list, or another signed-in account, waits for a reload, so a new model works at once.
 * The returned lookup fails as `loadCatalog` does when no catalog is in hand yet.
 * @see docs/protocol.md#model-catalog
 */
export function catalogCache(ctx: Ctx) {
  let entry: (GatewayCatalog & { at: number; account: string }) | undefined
  let loading: Promise<GatewayCatalog> | undefined
  const load = (account: string): Promise<GatewayCatalog> =>
    (loading ??= loadCatalog(ctx)
      .then(
        (c) =>
          (entry = { at: ctx.now(), account, models: c.models, known: c.source !== 'fallback' }),
      )
      .finally(() => (loading = undefined)))
  return async (account: string, slug?: string): Promise<GatewayCatalog> => {
    if (!entry || entry.account !== account) return load(account)
    const age = ctx.now() - entry.at
    if (
      slug !== undefined &&
      age > UNKNOWN_RELOAD_MS &&
      !entry.models.some((m) => m.slug === slug)
    ) {
      return load(account)
    }
    if (age > CATALOG_TTL_MS) load(account).catch(() => {}) // the next request sees it
    return entry
  }
}
