/**
 * The Codex model catalog (docs/protocol.md#7-models-list-endpoint): request, parsing, the
 * per-account 300 s cache, the
 * last-known-good list when the backend fails, and the bundled fallback when nothing else exists.
 * The gateway reads raw entries through {@link loadCatalog}; people see {@link toModelView}.
 */
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import type { HttpResponse } from '../http.js'
import { parseJson } from '../http.js'
import { SkillError, toFailure } from '../result.js'
import { requireCredentials } from '../auth/session.js'
import { openStore, type CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'
import { readCache, writeCache } from './cache.js'
import { authedGet } from './get.js'

/**
 * Same TTL as the CLI's models cache (DEFAULT_MODEL_CACHE_TTL,
 * docs/protocol.md#73-caching-and-the-picker).
 */
export const MODELS_TTL_MS = 300_000

/** One catalog entry as the backend sends it. Unknown keys are kept (the gateway may need them). */
export const RawModel = z.looseObject({
  slug: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)),
  display_name: z.optional(z.string()),
  description: z.nullish(z.string()),
  default_reasoning_level: z.nullish(z.string()),
  supported_reasoning_levels: z._default(
    z.array(z.looseObject({ effort: z.string(), description: z.nullish(z.string()) })),
    [],
  ),
  visibility: z.string(),
  priority: z._default(z.number(), 0),
  base_instructions: z.optional(z.string()),
  context_window: z.nullish(z.int().check(z.positive())),
  input_modalities: z._default(z.array(z.string()), ['text', 'image']),
})
export type RawModel = z.infer<typeof RawModel>

const CatalogBody = z.looseObject({ models: z.array(z.unknown()) })
const CachedModels = z.array(RawModel)

export interface Catalog {
  /** Every entry, hidden ones included (the gateway may serve them); sorted by priority. */
  models: RawModel[]
  source: 'live' | 'cache' | 'fallback'
  fetched_at: string
  /** True when this is not a fresh live or in-TTL answer (backend failed, or fallback). */
  stale: boolean
  /** Why the live catalog was not used, when `stale`. */
  stale_reason?: { code: string; error: string }
}

/** What `models()` shows for one model. */
export interface ModelView {
  id: string
  slug: string
  display_name: string
  context_window: number | null
  reasoning_levels: string[]
  default_reasoning: string | null
  input: string[]
  /** The service tiers the model offers besides the default (fast mode: `priority`). */
  service_tiers: ServiceTier[]
}

/** A service tier as the catalog names it: `{id: "priority", name: "Fast", description}`. */
export interface ServiceTier {
  id: string
  name?: string
  description?: string
}

/**
 * The tiers an entry offers (`service_tiers`, Codex 0.171's catalog field), read leniently: an
 * entry whose tiers are malformed keeps its other fields and offers none. Never throws.
 * @see docs/gateway.md#fast-mode
 */
export function serviceTiers(m: RawModel): ServiceTier[] {
  const raw = (m as { service_tiers?: unknown }).service_tiers
  if (!Array.isArray(raw)) return []
  const out: ServiceTier[] = []
  for (const t of raw as unknown[]) {
    if (!t || typeof t !== 'object') continue
    const { id, name, description } = t as Record<string, unknown>
    if (typeof id !== 'string' || !id) continue
    out.push({
      id,
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof description === 'string' ? { description } : {}),
    })
  }
  return out
}

const byPriority = (a: RawModel, b: RawModel) =>
  a.priority - b.priority || a.slug.localeCompare(b.slug)

/**
 * Maps one raw entry to the public view (`openai-codex/<slug>`).
 * Never throws.
 */
export function toModelView(m: RawModel): ModelView {
  return {
    id: `openai-codex/${m.slug}`,
    slug: m.slug,
    display_name: m.display_name ?? m.slug,
    context_window: m.context_window ?? null,
    reasoning_levels: m.supported_reasoning_levels.map((l) => l.effort),
    default_reasoning: m.default_reasoning_level ?? null,
    input: m.input_modalities,
    service_tiers: serviceTiers(m),
  }
}

/**
 * The models a picker offers: `visibility == "list"`, sorted by priority
 * (docs/protocol.md#73-caching-and-the-picker).
 * Never throws.
 */
export function visibleModels(models: RawModel[]): ModelView[] {
  return models
    .filter((m) => m.visibility === 'list')
    .sort(byPriority)
    .map(toModelView)
}

/**
 * Parses a models response; entries that do not parse are dropped, not fatal.
 * @throws SkillError `invalid_response`.
 * @see docs/protocol.md#72-response
 */
export function parseCatalog(res: HttpResponse): RawModel[] {
  const body = parseJson(res, CatalogBody, 'The models endpoint')
  const models = body.models.flatMap((m) => {
    const r = RawModel.safeParse(m)
    return r.success ? [r.data] : []
  })
  if (!models.some((m) => m.visibility === 'list')) {
    throw new SkillError(
      'invalid_response',
      'The models endpoint listed no model this account can pick',
    )
  }
  return models.sort(byPriority)
}

/**
 * One live request: `GET {backend}/codex/models?client_version=…`, with `known` credentials
 * when in hand.
 * @throws SkillError `invalid_response`, `upstream_rejected`, `upstream_error`, `rate_limited`,
 *   transport and credential codes.
 * @see docs/protocol.md#7-models-list-endpoint
 */
export async function fetchCatalog(
  ctx: Ctx,
  store: CredentialStore,
  known?: Credentials,
): Promise<RawModel[]> {
  const q = new URLSearchParams({ client_version: ctx.config.clientVersion })
  const { res } = await authedGet(ctx, store, `/codex/models?${q}`, 'The models endpoint', known)
  return parseCatalog(res)
}

/**
 * The catalog bundled in `fixtures/` (loaded lazily; a bundler inlines it).
 * Never throws.
 */
export async function fallbackCatalog(): Promise<{ models: RawModel[]; as_of: string }> {
  const mod = await import('../../fixtures/models-fallback.json', { with: { type: 'json' } })
  const raw = mod.default as { as_of: string; models: unknown[] }
  return { models: z.array(RawModel).parse(raw.models).sort(byPriority), as_of: raw.as_of }
}

/** Failures of the backend itself; anything else (signed out, dead token, unsafe state) propagates. */
const BACKEND_FAILURES = new Set([
  'upstream_error',
  'upstream_rejected',
  'rate_limited',
  'timeout',
  'network_error',
  'proxy_error',
  'invalid_response',
])

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The catalog for the signed-in account: the cache if younger than 300 s (unless `force`), else
 * one live request; when that fails, the last-known-good cache (`stale: true`), else the bundled
 * fallback. Never empty while signed in. A caller holding the store and the credentials (a
 * sign-in that just wrote them) passes them in `opts`, so neither is opened or read again.
 * @throws SkillError `not_signed_in`, a dead-token code, `state_unsafe`, `lock_timeout`.
 */
export async function loadCatalog(
  ctx: Ctx,
  opts: { force?: boolean; store?: CredentialStore; creds?: Credentials } = {},
): Promise<Catalog> {
  const store = opts.store ?? (await openStore(ctx))
  const creds = await requireCredentials(store, opts.creds)
  const account = creds.account.account_id
  const cached = await readCache(ctx, 'models', account, CachedModels)
  const now = ctx.now()
  const age = cached ? now - cached.fetched_at : Infinity
  if (!opts.force && cached && age >= 0 && age < MODELS_TTL_MS) {
    return {
      models: cached.data,
      source: 'cache',
      fetched_at: iso(cached.fetched_at),
      stale: false,
    }
  }
  try {
    const models = await fetchCatalog(ctx, store, opts.creds)
    const fetchedAt = ctx.now()
    await writeCache(ctx, 'models', account, models, fetchedAt)
    return { models, source: 'live', fetched_at: iso(fetchedAt), stale: false }
  } catch (err) {
    if (!(err instanceof SkillError) || !BACKEND_FAILURES.has(err.code)) throw err
    const f = toFailure(err)
    const stale_reason = { code: f.code, error: f.error }
    if (cached) {
      return {
        models: cached.data,
        source: 'cache',
        fetched_at: iso(cached.fetched_at),
        stale: true,
        stale_reason,
      }
    }
    const fb = await fallbackCatalog()
    return {
      models: fb.models,
      source: 'fallback',
      fetched_at: fb.as_of,
      stale: true,
      stale_reason,
    }
  }
}
