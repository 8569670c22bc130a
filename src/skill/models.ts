/**
 * `models`: the `openai-codex/*` models this sign-in can use (cache 300 s, `force` bypasses it),
 * and the registry kept in step: rewritten (and the marker bumped) only when the list changed.
 */
import type { Ctx } from '../context.js'
import { loadCatalog, visibleModels } from '../backend/models.js'
import { onFailure, publish } from '../host/index.js'

export interface ModelsOptions {
  force?: boolean
}

export async function models(ctx: Ctx, opts: ModelsOptions = {}) {
  let cat
  try {
    cat = await loadCatalog(ctx, { force: opts.force === true })
  } catch (err) {
    await onFailure(ctx, err)
    throw err
  }
  const list = visibleModels(cat.models)
  const host = await publish(ctx, 'signed-in', list)
  return {
    source: cat.source,
    fetched_at: cat.fetched_at,
    stale: cat.stale,
    ...(cat.stale_reason ? { stale_reason: cat.stale_reason } : {}),
    count: list.length,
    models: list,
    registry: host.registry ?? null,
    registry_version: host.registry_version ?? null,
    registry_changed: host.registry_changed ?? false,
    ...(host.hosts ? { hosts: host.hosts } : {}),
    ...(host.warnings ? { warnings: host.warnings } : {}),
  }
}
