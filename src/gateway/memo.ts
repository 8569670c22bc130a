/**
 * What the gateway keeps in memory between requests: the credentials until their file changes
 * (one stat per request), and the catalog for a minute. Any process may refresh, log out or
 * sign in again: the next request sees it without a restart.
 */
import { statSync } from 'node:fs'
import type { Ctx } from '../context.js'
import { loadCatalog, type RawModel } from '../backend/models.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'

const CATALOG_TTL_MS = 60_000

/** Wraps a store so `read()` re-parses only when the file's identity (inode, size, mtime) changes. */
export function memoStore(inner: CredentialStore): CredentialStore {
  let key = ''
  let value: Credentials | undefined
  return {
    kind: inner.kind,
    path: inner.path,
    locked: (fn) => inner.locked(fn),
    write: (c) => inner.write(c),
    remove: () => inner.remove(),
    quarantine: () => inner.quarantine(),
    async read(fixes) {
      // Synchronous on purpose: a few microseconds for one small local file, where a threadpool
      // round trip per request costs the gateway a measurable slice of its latency.
      const st = statSync(inner.path, { throwIfNoEntry: false })
      const k = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent'
      if (k !== key || fixes) {
        value = await inner.read(fixes)
        key = k
      }
      return value
    },
  }
}

/** The catalog, reloaded after a minute or when the signed-in account changes. */
export function catalogCache(ctx: Ctx) {
  let entry: { at: number; account: string; models: RawModel[] } | undefined
  let loading: Promise<RawModel[]> | undefined
  return async (account: string): Promise<RawModel[]> => {
    if (entry && entry.account === account && Date.now() - entry.at < CATALOG_TTL_MS) return entry.models
    loading ??= loadCatalog(ctx)
      .then((c) => {
        entry = { at: Date.now(), account, models: c.models }
        return c.models
      })
      .finally(() => (loading = undefined))
    return loading
  }
}
