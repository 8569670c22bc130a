/**
 * Per-account response caches in `<state dir>/cache/` (models catalog, usage). Written under the
 * cache lock, atomically, 0600; read without a lock (an atomic rename never shows a torn file).
 * A cache that fails validation is treated as absent: it only ever saves a request.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import { ensureDir } from '../store/fsafe.js'
import { readJson, writeJson } from '../store/json-file.js'
import { lockOptions, withLock } from '../store/lock.js'
import { statePaths } from '../store/paths.js'

/** What a cache file holds around its payload. */
const Envelope = z.object({
  schemaVersion: z.literal(1),
  account_id: z.string(),
  client_version: z.string(),
  /** Epoch milliseconds of the successful fetch. */
  fetched_at: z.number(),
  data: z.unknown(),
})

export interface Cached<T> {
  data: T
  fetched_at: number
}

/**
 * `<cache dir>/<kind>-<hash of the account id>.json`: one file per account and kind.
 * Never throws.
 */
export function cachePath(ctx: Ctx, kind: string, accountId: string): string {
  const tag = createHash('sha256').update(accountId).digest('hex').slice(0, 16)
  return join(statePaths(ctx.config.home).cacheDir, `${kind}-${tag}.json`)
}

/**
 * Reads a cache entry of this account and client version, whatever its age (callers decide
 * what is fresh). Returns undefined when absent, unreadable, for another account or version.
 * Never throws: an unreadable or foreign cache is a miss.
 */
export async function readCache<S extends z.ZodMiniType>(
  ctx: Ctx,
  kind: string,
  accountId: string,
  schema: S,
): Promise<Cached<z.infer<S>> | undefined> {
  let env
  try {
    env = await readJson(cachePath(ctx, kind, accountId), Envelope)
  } catch {
    return undefined
  }
  if (!env || env.account_id !== accountId || env.client_version !== ctx.config.clientVersion) {
    return undefined
  }
  const data = schema.safeParse(env.data)
  return data.success ? { data: data.data, fetched_at: env.fetched_at } : undefined
}

/**
 * Writes a cache entry under the cache lock (0600, atomic, dir 0700).
 * @throws SkillError `state_unsafe`, `lock_timeout`.
 */
export async function writeCache(
  ctx: Ctx,
  kind: string,
  accountId: string,
  data: unknown,
  fetchedAt: number,
): Promise<void> {
  const p = statePaths(ctx.config.home)
  await ensureDir(p.home)
  await ensureDir(p.cacheDir)
  await withLock(p.cacheLock, lockOptions(ctx), async () => {
    await writeJson(
      cachePath(ctx, kind, accountId),
      {
        schemaVersion: 1,
        account_id: accountId,
        client_version: ctx.config.clientVersion,
        fetched_at: fetchedAt,
        data,
      },
      { locked: true },
    )
  })
}
