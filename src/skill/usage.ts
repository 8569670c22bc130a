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

export async function usage(ctx: Ctx, opts: UsageOptions = {}) {
  try {
    return await loadUsage(ctx, { force: opts.force === true })
  } catch (err) {
    await onFailure(ctx, err)
    throw err
  }
}
