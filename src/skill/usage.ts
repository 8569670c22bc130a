/**
 * `usage`: plan, limit windows (named by length: "5h", "weekly"), credits. Cached 60 s per
 * account; `force` makes exactly one request.
 */
import type { Ctx } from '../context.js'
import { loadUsage } from '../backend/usage.js'
import { onFailure } from '../host/index.js'
import { whenPhrase } from '../result.js'

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
    const u = await loadUsage(ctx, { force: opts.force === true })
    return u.limit_reached ? { ...u, hint: limitHint(u.windows, ctx.now()) } : u
  } catch (err) {
    await onFailure(ctx, err)
    throw err
  }
}

/** The limit's end with real values: "resets in 42 minutes, at 2026-12-03T09:12:00.000Z". */
function limitHint(
  windows: { label: string; used_percent: number; resets_at: string | null }[],
  now: number,
) {
  const full = windows.filter((w) => w.used_percent >= 100 && w.resets_at)
  const w = (full.length ? full : windows.filter((x) => x.resets_at)).sort((a, b) =>
    String(b.resets_at).localeCompare(String(a.resets_at)),
  )[0]
  if (!w?.resets_at)
    return 'The usage limit is reached; the models refuse requests until it resets. Tell the user.'
  const inS = Math.round((Date.parse(w.resets_at) - now) / 1000)
  return `The ${w.label} usage limit is reached; it resets ${whenPhrase(w.resets_at, inS)}. Until then the models refuse requests. Tell the user.`
}
