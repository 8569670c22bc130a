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

/**
 * Lists the models this sign-in can use and keeps the registry in step. A dead sign-in takes
 * the models out of every picker before the error is returned.
 * @throws SkillError `not_signed_in`, `refresh_token_expired`, `refresh_token_reused`,
 *   `refresh_token_invalidated`, `reauth_required`, `account_mismatch`, `state_corrupt`, `state_unsafe`,
 *   `lock_timeout` (upstream failures fall back to the cache or the bundled catalog).
 * @see docs/protocol.md#7-models-list-endpoint
 */
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
    models_source: cat.source,
    fetched_at: cat.fetched_at,
    stale: cat.stale,
    ...(cat.stale_reason ? { stale_reason: cat.stale_reason } : {}),
    count: list.length,
    models: list,
    registry: host.registry ?? null,
    ...(host.hosts ? { hosts: host.hosts } : {}),
    ...(host.warnings ? { warnings: host.warnings } : {}),
  }
}
