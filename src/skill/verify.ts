/**
 * `verify`: proves the chain works end to end with one tiny request to the signed-in account's
 * model ("reply with OK"). Exactly one responses request, plus a refresh if one is due.
 */
import type { Ctx } from '../context.js'
import { loadCatalog } from '../backend/models.js'
import { bareSlug, normalizeRequest, openResponses, streamFailure } from '../backend/responses.js'
import { readEvents, ResponseCollector } from '../backend/sse.js'
import { streamError } from '../http.js'
import { SkillError } from '../result.js'
import { openStore } from '../store/credentials.js'

export interface VerifyOptions {
  model?: string
}

/**
 * Proves a model answers: one small Responses request with the signed-in account (the first
 * listed model unless `model`).
 * @throws SkillError `model_not_available`, `usage_limit_reached` (over HTTP or in the stream),
 *   `context_length_exceeded`, `rate_limited`,
 *   `upstream_rejected`, `upstream_error`, `invalid_response`, transport codes, `not_signed_in`, `refresh_token_expired`, `refresh_token_reused`, `refresh_token_invalidated`, `reauth_required`, `account_mismatch`.
 * @see docs/protocol.md#9-responses-endpoint-with-chatgpt-auth
 */
export async function verify(ctx: Ctx, opts: VerifyOptions = {}) {
  const store = await openStore(ctx)
  const catalog = await loadCatalog(ctx)
  const visible = catalog.models.filter((m) => m.visibility === 'list')
  const slug = opts.model ? bareSlug(opts.model) : visible[0]?.slug
  if (!slug) throw new SkillError('model_not_available', 'This account has no model to verify with')
  let refreshed = false
  const { body } = normalizeRequest(
    {
      model: slug,
      input: [{ role: 'user', content: 'Reply with exactly: OK' }],
      reasoning: {
        effort: lowestEffort(
          catalog.models.find((m) => m.slug === slug)?.supported_reasoning_levels,
        ),
      },
    },
    { models: catalog.models, known: catalog.source !== 'fallback' },
  )
  const started = performance.now()
  // verify must end within its timeout even when the backend stops sending: a silence longer
  // than CHATGPT_CODEX_TIMEOUT_MS (or the stream idle bound, if shorter) aborts the stream.
  const idleMs = Math.min(ctx.config.timeoutMs, ctx.config.streamIdleMs)
  const abort = new AbortController()
  let silent = false
  const watchdog = () =>
    setTimeout(() => {
      silent = true
      abort.abort()
    }, idleMs)
  let timer = watchdog()
  const collector = new ResponseCollector()
  try {
    const upstream = await openResponses(ctx, store, body, { signal: abort.signal })
    refreshed = upstream.refreshes > 0
    for await (const ev of readEvents(upstream.body)) {
      clearTimeout(timer)
      timer = watchdog()
      collector.add(ev)
    }
  } catch (err) {
    throw streamError(err, 'The model stream', idleMs, silent)
  } finally {
    clearTimeout(timer)
  }
  // A failure inside the 200 stream is the same failure as over HTTP, with the same code.
  if (collector.failed) throw streamFailure(collector.failed, ctx.now())
  if (!collector.completed) {
    throw new SkillError(
      'upstream_error',
      'The model stream ended before the answer was complete',
      { retryable: true },
    )
  }
  const response = collector.response()
  return {
    model: `openai-codex/${slug}`,
    output_text: response.output_text as string,
    latency_ms: Math.round(performance.now() - started),
    usage: {
      input_tokens: response.usage.input_tokens,
      output_tokens: response.usage.output_tokens,
    },
    refreshed,
    models_source: catalog.source,
  }
}

/** The cheapest reasoning effort the model offers, to keep the proof tiny. */
function lowestEffort(levels: { effort: string }[] | undefined): string {
  const order = ['none', 'minimal', 'low', 'medium', 'high']
  const offered = new Set((levels ?? []).map((l) => l.effort))
  return order.find((e) => offered.has(e)) ?? 'low'
}
