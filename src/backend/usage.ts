/**
 * Subscription usage (docs/protocol.md#81-usage-endpoint): `GET {backend}/wham/usage`, normalised
 * so windows are
 * named by their length ("5h", "weekly"), cached per account for 60 s.
 */
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import { parseJson, type HttpResponse } from '../http.js'
import { requireCredentials } from '../auth/session.js'
import { openStore } from '../store/credentials.js'
import { readCache, writeCache } from './cache.js'
import { authedGet } from './get.js'

export const USAGE_TTL_MS = 60_000

const Window = z.nullish(
  z.looseObject({
    used_percent: z.number(),
    limit_window_seconds: z.nullish(z.number()),
    reset_after_seconds: z.nullish(z.number()),
    reset_at: z.nullish(z.number()),
  }),
)
const RateLimit = z.nullish(
  z.looseObject({
    allowed: z.nullish(z.boolean()),
    limit_reached: z.nullish(z.boolean()),
    primary_window: Window,
    secondary_window: Window,
  }),
)
const UsageBody = z.looseObject({
  // Required, as in the CLI's RateLimitStatusPayload: a body without it is not a usage answer.
  plan_type: z.string(),
  rate_limit: RateLimit,
  credits: z.nullish(
    z.looseObject({
      has_credits: z.boolean(),
      unlimited: z.boolean(),
      balance: z.nullish(z.string()),
    }),
  ),
  additional_rate_limits: z.nullish(
    z.array(
      z.looseObject({
        limit_name: z.nullish(z.string()),
        metered_feature: z.nullish(z.string()),
        rate_limit: RateLimit,
      }),
    ),
  ),
})

export const UsageWindow = z.object({
  label: z.string(),
  used_percent: z.number(),
  window_minutes: z.nullable(z.number()),
  resets_at: z.nullable(z.string()),
})
export const UsageView = z.object({
  plan: z.nullable(z.string()),
  limit_reached: z.boolean(),
  windows: z.array(UsageWindow),
  credits: z.object({
    has_credits: z.boolean(),
    unlimited: z.boolean(),
    /** A JSON number (the endpoint sends a decimal string such as "12.5"). */
    balance: z.nullable(z.number()),
  }),
  /** Metered features with their own limits (`additional_rate_limits`), same window shape. */
  other_limits: z.array(
    z.object({ name: z.string(), limit_reached: z.boolean(), windows: z.array(UsageWindow) }),
  ),
})
export type UsageView = z.infer<typeof UsageView>

/**
 * "5h", "weekly", "1d", "30m": the window's length, which is what people call it.
 * Never throws.
 */
export function windowLabel(minutes: number | null): string {
  if (minutes === null) return 'unknown-length'
  if (minutes === 7 * 1440) return 'weekly'
  if (minutes % 1440 === 0) return `${minutes / 1440}d`
  if (minutes % 60 === 0) return `${minutes / 60}h`
  return `${minutes}m`
}

type RawLimit = z.infer<typeof RateLimit>

function windows(rl: RawLimit, now: number): z.infer<typeof UsageWindow>[] {
  return [rl?.primary_window, rl?.secondary_window].flatMap((w) => {
    if (!w) return []
    // docs/protocol.md#81-usage-endpoint: window_minutes = ceil(seconds / 60); a value <= 0 means
    // unknown.
    const secs = w.limit_window_seconds ?? 0
    const minutes = secs > 0 ? Math.ceil(secs / 60) : null
    const resetMs =
      w.reset_at != null
        ? w.reset_at * 1000
        : w.reset_after_seconds != null
          ? now + w.reset_after_seconds * 1000
          : null
    return [
      {
        label: windowLabel(minutes),
        used_percent: w.used_percent,
        window_minutes: minutes,
        resets_at: resetMs === null ? null : new Date(resetMs).toISOString(),
      },
    ]
  })
}

/**
 * Parses and normalises a usage response.
 * @throws SkillError `invalid_response`.
 * @see docs/protocol.md#81-usage-endpoint
 */
export function parseUsage(res: HttpResponse, now: number): UsageView {
  const b = parseJson(res, UsageBody, 'The usage endpoint')
  return {
    plan: b.plan_type ?? null,
    limit_reached: b.rate_limit?.limit_reached === true || b.rate_limit?.allowed === false,
    windows: windows(b.rate_limit, now),
    credits: {
      has_credits: b.credits?.has_credits ?? false,
      unlimited: b.credits?.unlimited ?? false,
      balance: decimal(b.credits?.balance),
    },
    other_limits: (b.additional_rate_limits ?? []).map((a) => ({
      name: a.limit_name ?? a.metered_feature ?? 'unnamed',
      limit_reached: a.rate_limit?.limit_reached === true,
      windows: windows(a.rate_limit, now),
    })),
  }
}

export interface Usage extends UsageView {
  fetched_at: string
  usage_source: 'live' | 'cache'
}

/**
 * Usage for the signed-in account: the cache if younger than 60 s (unless `force`), else one
 * live request.
 * @throws SkillError not_signed_in, rate_limited (retry_after_s), upstream_*, transport codes.
 */
export async function loadUsage(ctx: Ctx, opts: { force?: boolean } = {}): Promise<Usage> {
  const store = await openStore(ctx)
  const creds = await requireCredentials(store)
  const account = creds.account.account_id
  const now = ctx.now()
  if (!opts.force) {
    const cached = await readCache(ctx, 'usage', account, UsageView)
    const age = cached ? now - cached.fetched_at : Infinity
    if (cached && age >= 0 && age < USAGE_TTL_MS) {
      return {
        ...cached.data,
        fetched_at: new Date(cached.fetched_at).toISOString(),
        usage_source: 'cache',
      }
    }
  }
  const { res } = await authedGet(ctx, store, '/wham/usage', 'The usage endpoint')
  const fetchedAt = ctx.now()
  const view = parseUsage(res, fetchedAt)
  await writeCache(ctx, 'usage', account, view, fetchedAt)
  return { ...view, fetched_at: new Date(fetchedAt).toISOString(), usage_source: 'live' }
}

/** "12.5" -> 12.5; null for none or a value that is not a finite number. Never throws. */
function decimal(v: string | null | undefined): number | null {
  if (v == null || v.trim() === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}
