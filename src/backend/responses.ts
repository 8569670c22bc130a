/**
 * The one client of `{backend}/codex/responses` (protocol.md §9), used by `verify` and the
 * gateway: normalises a Responses request into what the Codex backend accepts, opens the SSE
 * stream with fresh credentials, and maps its errors to stable codes.
 */
import { randomUUID } from 'node:crypto'
import type { Ctx } from '../context.js'
import { open, retryAfterSeconds, type HttpStream } from '../http.js'
import { redact } from '../redact.js'
import { SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import { backendHeaders, withAuth } from './auth.js'
import type { RawModel } from './models.js'

/** Parameters the Codex backend refuses; dropped, and named in the caller's response. */
export const REFUSED_PARAMS = [
  'max_output_tokens',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'metadata',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'seed',
  'user',
  'service_tier',
  'truncation',
  'top_logprobs',
  'safety_identifier',
  'previous_response_id',
  'background',
] as const

/** Keys forwarded as they are; everything else is dropped and reported. */
const FORWARDED = new Set([
  'model',
  'input',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'text',
  'prompt_cache_key',
])
const LOCAL = new Set(['stream', 'store', 'instructions', 'include', 'stream_options'])

export type ResponsesBody = Record<string, unknown>

export interface Normalized {
  body: ResponsesBody
  /** The bare slug sent upstream. */
  slug: string
  /** Parameters the caller sent that the backend would refuse; not forwarded. */
  dropped: string[]
}

/** `openai-codex/<slug>` or `<slug>` -> `<slug>`. */
export const bareSlug = (model: string) => model.replace(/^openai-codex\//, '')

type Item = Record<string, unknown>

/** Input items arrive typed or as `{role, content}`; system turns become developer turns. */
function normalizeItem(raw: unknown): Item {
  if (!raw || typeof raw !== 'object') throw badRequest('Each input item must be an object')
  const item = { ...(raw as Item) }
  if (item.type === undefined && 'role' in item) item.type = 'message'
  if (item.type === 'message') {
    if (item.role === 'system') item.role = 'developer' // "System messages are not allowed"
    if (typeof item.content === 'string') {
      const text = item.content
      item.content = [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text }]
    }
  }
  return item
}

const isDeveloper = (item: Item) => item.type === 'message' && item.role === 'developer'

const developer = (text: string): Item => ({
  type: 'message',
  role: 'developer',
  content: [{ type: 'input_text', text }],
})

function badRequest(message: string): SkillError {
  return new SkillError('invalid_argument', message, { hint: 'Fix the request body.' })
}

/**
 * Builds the upstream body: `store:false`, `stream:true`, the model's own `base_instructions`
 * (the backend has refused home-made ones), the caller's instructions and then its system and
 * developer messages (as developer messages, in their order) first in `input`, encrypted
 * reasoning included, and refused parameters dropped.
 * @throws SkillError `model_not_available` (a slug a known catalog does not list), `invalid_argument`.
 */
export function normalizeRequest(
  req: ResponsesBody,
  catalog: { models: RawModel[]; known: boolean },
): Normalized {
  if (typeof req.model !== 'string' || !req.model) throw badRequest('model is required')
  const slug = bareSlug(req.model)
  const entry = catalog.models.find((m) => m.slug === slug)
  // Only a catalog the backend sent can say a model does not exist; with the bundled fallback
  // the backend itself decides.
  if (!entry && catalog.known) {
    throw new SkillError(
      'model_not_available',
      `The model "${slug}" is not available to this ChatGPT account`,
      {
        extra: { model: slug },
      },
    )
  }
  const dropped: string[] = []
  const body: ResponsesBody = {}
  for (const [k, v] of Object.entries(req)) {
    if (FORWARDED.has(k)) body[k] = v
    else if (!LOCAL.has(k)) dropped.push(k)
  }
  body.model = slug
  const items: Item[] =
    typeof req.input === 'string'
      ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: req.input }] }]
      : Array.isArray(req.input)
        ? req.input.map(normalizeItem)
        : []
  // The caller's instructions, then its system/developer turns (in their order), then the rest:
  // the conversation's own rules come before the conversation.
  const first: Item[] = []
  const rest: Item[] = []
  if (typeof req.instructions === 'string' && req.instructions)
    first.push(developer(req.instructions))
  for (const item of items) (isDeveloper(item) ? first : rest).push(item)
  body.input = first.length ? [...first, ...rest] : rest
  body.instructions =
    entry?.base_instructions ??
    catalog.models[0]?.base_instructions ??
    'You are a helpful assistant.'
  body.store = false
  body.stream = true
  body.include = ['reasoning.encrypted_content']
  return { body, slug, dropped: dropped.sort() }
}

export interface UpstreamStream extends HttpStream {
  refreshes: number
}

/**
 * Opens the upstream SSE stream. Refreshes ahead of expiry; on a 401 refreshes once and retries
 * once (nothing has reached the caller yet at this point).
 * @throws SkillError for any non-2xx (see {@link upstreamError}) and transport failures.
 */
export async function openResponses(
  ctx: Ctx,
  store: CredentialStore,
  body: ResponsesBody,
  opts: { signal?: AbortSignal; sessionId?: string } = {},
): Promise<UpstreamStream> {
  const sessionId = opts.sessionId ?? randomUUID()
  const payload = JSON.stringify(body)
  const out = await withAuth(ctx, store, async (creds) => {
    const res = await open({
      method: 'POST',
      url: `${ctx.config.backendUrl}/codex/responses`,
      headers: {
        ...backendHeaders(ctx, creds),
        accept: 'text/event-stream',
        'content-type': 'application/json',
        'session-id': sessionId,
      },
      raw: payload,
      timeoutMs: ctx.config.timeoutMs,
      signal: opts.signal,
    })
    if (res.status === 401) res.body.resume() // drained: we retry on a new request
    return { status: res.status, value: res }
  })
  const res = out.value
  if (res.status < 200 || res.status >= 300) {
    const text = await res.body.text().catch(() => '')
    throw upstreamError(res.status, text, res.headers, ctx.now())
  }
  return { ...res, refreshes: out.refreshes }
}

/**
 * Maps a failed responses call: 429 `usage_limit_reached` (with `resets_at`, `plan`), other 429
 * `rate_limited` (with `retry_after_s`), 400 `{detail}` `upstream_rejected`, else `upstream_error`.
 */
export function upstreamError(
  status: number,
  text: string,
  headers: Record<string, string>,
  now: number,
): SkillError {
  let body: Record<string, any> = {}
  try {
    body = JSON.parse(text)
  } catch {
    /* not JSON: keep the status */
  }
  const err = body?.error && typeof body.error === 'object' ? body.error : undefined
  if (
    status === 429 &&
    (err?.type === 'usage_limit_reached' || err?.code === 'usage_limit_reached')
  ) {
    const resetsAt =
      typeof err.resets_at === 'number'
        ? err.resets_at
        : typeof err.resets_in_seconds === 'number'
          ? Math.floor(now / 1000) + err.resets_in_seconds
          : null
    return new SkillError('usage_limit_reached', 'The ChatGPT plan usage limit is reached', {
      extra: {
        resets_at: resetsAt === null ? null : new Date(resetsAt * 1000).toISOString(),
        plan: typeof err.plan_type === 'string' ? err.plan_type : null,
        retry_after_s: resetsAt === null ? null : Math.max(0, resetsAt - Math.floor(now / 1000)),
      },
    })
  }
  if (status === 429) {
    return new SkillError(
      'rate_limited',
      'The Codex backend is rate limiting requests (HTTP 429)',
      {
        extra: { retry_after_s: retryAfterSeconds(headers['retry-after'], now) ?? null },
      },
    )
  }
  const detail =
    typeof body?.detail === 'string'
      ? body.detail
      : typeof err?.message === 'string'
        ? err.message
        : ''
  if (status === 400 && detail) {
    return new SkillError(
      'upstream_rejected',
      redact(`The Codex backend refused the request: ${detail}`),
    )
  }
  if (status === 401 || status === 403) {
    return new SkillError(
      'upstream_rejected',
      `The Codex backend refused the sign-in (HTTP ${status})`,
      {
        hint: 'Run refresh; if it persists, run logout, then start.',
      },
    )
  }
  return new SkillError('upstream_error', `The Codex backend failed with HTTP ${status}`, {
    retryable: status >= 500,
  })
}
