/**
 * `usage`: plan, limit windows (named by length: "5h", "weekly"), credits. Cached 60 s per
 * account; `force` makes exactly one request.
 */
import type { Ctx } from '../context.js'
import { loadUsage } from '../backend/usage.js'
import { onFailure } from '../host/index.js'

export interface UsageOptions {
  force?: boolean
}

/**
 * The plan's usage windows and credits (cached 60 s per account; `force` asks once).
 * @throws SkillError `not_signed_in`, `refresh_token_expired`, `refresh_token_reused`,
 *   `refresh_token_invalidated`, `reauth_required`, `account_mismatch`, `rate_limited`,
 *   `upstream_rejected`, `upstream_error`, `invalid_response`, transport codes, `state_unsafe`,
 *   `lock_timeout`.
 * @see docs/protocol.md#81-usage-endpoint
 */
export async function usage(ctx: Ctx, opts: UsageOptions = {}) {
  try {
    return await loadUsage(ctx, { force: opts.force === true })
  } catch (err) {
    await onFailure(ctx, err)
    throw err
  }
}
