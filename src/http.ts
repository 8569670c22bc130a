/**
 * The only module that talks to undici. Every request has a timeout that covers the whole
 * exchange (connect, headers and body); failures come out as a {@link SkillError} with a
 * stable code; `Retry-After` is parsed in both of its forms. Outbound requests carry the
 * configured proxies (`req.proxy`), applied by undici's own `EnvHttpProxyAgent`.
 * @see docs/proxy.md
 */
import type { Agent, Dispatcher } from 'undici'
import type * as z from './zod.js'
import { SkillError } from './result.js'
import { redact } from './redact.js'
import { proxyFailure, proxyFor, type ProxyEnv } from './proxy.js'
import { dispatchStream, type StreamBody } from './http-body.js'

/** One keep-alive pool per process: the gateway reuses upstream connections across requests. */
let agent: Agent | undefined
/** The proxying pool, made on the first proxied request (one per proxy setting). */
const proxied = new Map<string, Dispatcher>()
let oneShot = false
const POOL = { keepAliveTimeout: 30_000, connections: 64 }

/**
 * Declares this process a one-shot CLI call (the bundled entries do, except for `serve`).
 * undici parses HTTP/1 with llhttp compiled to WebAssembly, and V8 compiles it twice: baseline
 * code at once, then optimised code on background threads, which exit waits for. A call that
 * sends one or two requests never runs the optimised code, and the wait was ~170 ms of every
 * such call (start: ~400 -> ~230 ms). So these processes keep the baseline tier only (V8's
 * `--liftoff-only`, set just before undici loads: loading node:v8 costs ~3 ms, which `status`
 * should not pay). The gateway, and any host that imports the exports, keep V8's defaults.
 * Never throws.
 */
export function oneShotProcess(): void {
  oneShot = true
}

async function undici(): Promise<typeof import('undici')> {
  if (oneShot) (await import('node:v8')).setFlagsFromString('--liftoff-only')
  return import('undici')
}

/**
 * undici (hundreds of KB) loads on the first request, not at import: `status` and a `token`
 * with a fresh token reach this module but never send, and a cold start is their latency.
 * Only `Agent`, `EnvHttpProxyAgent` and their `request` and `dispatch` methods are used: the bundle's vendor
 * file of undici is built from just those (scripts/build.mjs), the proxy agent evaluated only
 * when a proxy is set; it loads in ~45 ms where the whole package took ~115.
 */
async function client(proxy: ProxyEnv | undefined): Promise<Dispatcher> {
  // Kept after the first load: a dynamic import() per request costs the gateway milliseconds
  // (under a loader hook it is a round trip to the hooks thread).
  if (!proxy) {
    if (agent) return agent
    const { Agent } = await undici()
    agent ??= new Agent(POOL)
    return agent
  }
  // undici reads process.env when an option is missing: every option is given, '' for unset,
  // so src/config.ts stays the one reader of the environment.
  const opts = {
    httpProxy: proxy.http?.href ?? '',
    httpsProxy: proxy.https?.href ?? '',
    noProxy: proxy.noProxy,
  }
  const key = JSON.stringify(opts)
  const known = proxied.get(key)
  if (known) return known
  const { EnvHttpProxyAgent } = await undici()
  if (!proxied.has(key)) proxied.set(key, new EnvHttpProxyAgent({ ...POOL, ...opts }))
  return proxied.get(key)!
}

/** undici's `request(url, ...)` does this split on every call; the Agent takes it ready. */
function target(url: string): { origin: string; path: string } {
  const u = new URL(url)
  return { origin: u.origin, path: `${u.pathname}${u.search}` }
}

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  /** Sent as application/json. */
  json?: unknown
  /** Sent as application/x-www-form-urlencoded, in the given order. */
  form?: Record<string, string>
  /** Sent as it is (the caller sets content-type): a body serialised once, reused on retry. */
  raw?: string
  timeoutMs: number
  /**
   * Streams ({@link open}) only: the longest silence allowed between two chunks of the body
   * before it fails with a `timeout` ({@link streamError} codes it). Default
   * {@link DEFAULT_STREAM_IDLE_MS}; `Config.streamIdleMs` (CHATGPT_CODEX_STREAM_IDLE_MS) is the
   * configured value callers should pass. 0 turns it off.
   */
  idleTimeoutMs?: number
  signal?: AbortSignal
  /**
   * The configured proxies (`Config.proxy`): every request to the issuer or the backend passes
   * them. Requests to our own listener and gateway leave this out and always go direct.
   */
  proxy?: ProxyEnv
}

/**
 * Default idle (body) timeout of a stream: 5 minutes, the Codex CLI's own
 * `stream_idle_timeout_ms` default. Why that long: a reasoning model can think for minutes at
 * high effort, and the backend sends no keepalive comments while it does (after
 * `response.created`/`in_progress` the next event can be the first reasoning or output item), so
 * a short bound would cut real answers; 5 minutes still turns a dead upstream into a coded error
 * instead of a wait without end. See docs/reliability.md.
 */
export const DEFAULT_STREAM_IDLE_MS = 300_000

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  text: string
}

/** A response whose body is still streaming (SSE). The caller must consume or destroy `body`. */
export interface HttpStream {
  status: number
  headers: Record<string, string>
  body: StreamBody
}

function prepare(req: HttpRequest): { headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers }
  if (req.json !== undefined) {
    headers['content-type'] = 'application/json'
    return { headers, body: JSON.stringify(req.json) }
  }
  if (req.raw !== undefined) return { headers, body: req.raw }
  if (req.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    return { headers, body: new URLSearchParams(req.form).toString() }
  }
  return { headers }
}

function flatten(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** Sends a request and reads the whole body. @throws SkillError `timeout` | `network_error`. */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(req.timeoutMs)
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
  const { headers, body } = prepare(req)
  const dispatcher = await client(req.proxy)
  try {
    const res = await dispatcher.request({
      ...target(req.url),
      method: req.method,
      headers,
      body,
      signal,
    })
    const text = await res.body.text()
    return { status: res.statusCode, headers: flatten(res.headers), text }
  } catch (err) {
    throw transportError(err, req, timeout.aborted)
  }
}

/**
 * Sends a request and hands back the body as a stream. `timeoutMs` bounds the wait for the
 * headers; `idleTimeoutMs` (default {@link DEFAULT_STREAM_IDLE_MS}) bounds every silence of the
 * body after them: the body then errors, and {@link streamError} turns that into `timeout`.
 * @throws SkillError `timeout` | `network_error`.
 */
export async function open(req: HttpRequest): Promise<HttpStream> {
  const { headers, body } = prepare(req)
  const dispatcher = await client(req.proxy)
  try {
    // The dispatcher's own interface, not request(): the gateway's every proxied stream comes
    // through here, and request()'s Readable body costs it measurably (src/http-body.ts).
    const res = await dispatchStream(
      dispatcher,
      {
        ...target(req.url),
        method: req.method,
        headers,
        body,
        headersTimeout: req.timeoutMs,
        // undici's bodyTimeout is an idle timer: reset by every chunk, not a total deadline.
        bodyTimeout: req.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS,
      },
      req.signal,
    )
    return { status: res.status, headers: flatten(res.headers), body: res.body }
  } catch (err) {
    throw transportError(err, req, false)
  }
}

/**
 * Codes an error thrown while reading a stream's body: the idle timeout (or `timedOut`, a
 * caller's own deadline that aborted it) -> `timeout`, anything else -> `network_error`.
 */
export function streamError(
  err: unknown,
  what: string,
  idleMs: number,
  timedOut = false,
): SkillError {
  const code = (err as { code?: string })?.code ?? ''
  if (!timedOut && err instanceof SkillError) return err
  if (timedOut || code === 'UND_ERR_BODY_TIMEOUT' || (err as Error)?.name === 'TimeoutError') {
    return new SkillError('timeout', `${what} sent nothing for ${idleMs} ms`, { cause: err })
  }
  const detail = code || (err as Error)?.message || 'unknown error'
  return new SkillError('network_error', redact(`${what} broke off: ${detail}`), { cause: err })
}

function transportError(err: unknown, req: HttpRequest, timedOut: boolean): SkillError {
  const via = req.proxy && proxyFor(req.url, req.proxy)
  const refused = via && proxyFailure(err, req.url, via)
  if (refused) return refused
  const url = new URL(req.url)
  const where = `${req.method} ${url.origin}${url.pathname}${via ? ` (through the proxy ${via.shown})` : ''}`
  const code = (err as { code?: string })?.code ?? ''
  if (timedOut || /TIMEOUT/.test(code) || (err as Error)?.name === 'TimeoutError') {
    return new SkillError('timeout', `${where} did not answer within ${req.timeoutMs} ms`, {
      cause: err,
    })
  }
  const detail = code || (err as Error)?.message || 'unknown error'
  return new SkillError('network_error', redact(`${where} failed: ${detail}`), { cause: err })
}

/**
 * Seconds to wait from a `Retry-After` header, which may be delta-seconds or an HTTP date.
 * Returns undefined when absent or unparseable.
 * Never throws. @see docs/protocol.md#82-rate-limit-response-headers
 */
export function retryAfterSeconds(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined
  if (/^\s*\d+\s*$/.test(value)) return Number(value)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

/**
 * Maps a non-2xx status that the caller has no special meaning for: 429 -> `rate_limited`
 * (with `retry_after_s`), 5xx -> `upstream_error` (retryable), anything else ->
 * `upstream_error` (not retryable).
 * Never throws; returns `rate_limited` or `upstream_error`.
 */
export function statusError(res: HttpResponse, what: string, now: number): SkillError {
  if (res.status === 429) {
    const retry = retryAfterSeconds(res.headers['retry-after'], now)
    return new SkillError('rate_limited', `${what} was rate limited (HTTP 429)`, {
      extra: { retry_after_s: retry ?? null },
    })
  }
  const snippet = res.text.slice(0, 200).replace(/\s+/g, ' ').trim()
  const html = /^<!doctype|^<html/i.test(snippet)
  return new SkillError(
    'upstream_error',
    `${what} failed with HTTP ${res.status}${snippet && !html ? `: ${snippet}` : ''}`,
    { retryable: res.status >= 500 || res.status === 408 },
  )
}

/**
 * Parses a JSON body against a schema. The schema is the boundary: after this, types are trusted.
 * @throws SkillError `invalid_response` for non-JSON or the wrong shape.
 */
export function parseJson<S extends z.ZodMiniType>(
  res: HttpResponse,
  schema: S,
  what: string,
): z.infer<S> {
  let data: unknown
  try {
    data = JSON.parse(res.text)
  } catch {
    throw new SkillError(
      'invalid_response',
      `${what} answered HTTP ${res.status} with a body that is not JSON`,
    )
  }
  const parsed = schema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new SkillError(
      'invalid_response',
      `${what} answered with an unexpected shape (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
    )
  }
  return parsed.data
}
