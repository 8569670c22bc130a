/**
 * Outbound proxies: `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (and their lowercase forms), read
 * once by src/config.ts and applied by src/http.ts through undici's own `EnvHttpProxyAgent`.
 * This module only validates and describes them: which proxy a URL goes through, how to show a
 * proxy without its credentials, and what a proxy's refusal means.
 * @see docs/proxy.md
 */
import { registerSecret } from './redact.js'
import { SkillError } from './result.js'

/** One proxy URL as configured, with the variable it came from. */
export interface ProxyUrl {
  /** The URL handed to undici (credentials included: never print it). */
  href: string
  /** `scheme://host:port`, with `***@` when the URL carries credentials: safe to print. */
  shown: string
  /** The variable it was read from, e.g. `HTTPS_PROXY`. */
  from: string
}

/** The proxy settings of this process; absent from the config when no proxy is set. */
export interface ProxyEnv {
  /** For http: targets (and https: ones when `https` is unset, as undici does). */
  http?: ProxyUrl
  /** For https: targets. */
  https?: ProxyUrl
  /** NO_PROXY as set ('' when unset). */
  noProxy: string
}

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 }

/** `scheme://host:port`, with `***@` for any userinfo. Never throws. */
export function showProxy(url: URL): string {
  const port = url.port || String(DEFAULT_PORT[url.protocol] ?? '')
  const auth = url.username || url.password ? '***@' : ''
  return `${url.protocol}//${auth}${url.host.replace(/:\d*$/, '')}${port ? `:${port}` : ''}`
}

/**
 * Reads one proxy variable, lowercase form first (as undici and curl do); a value without a
 * scheme is taken as `http://` (what curl does with `proxy.corp:3128`).
 * @throws SkillError `invalid_config` naming the variable (never its value: it may hold a password).
 */
function readProxy(get: (name: string) => string | undefined, upper: string): ProxyUrl | undefined {
  const lower = upper.toLowerCase()
  const from = get(lower) !== undefined ? lower : get(upper) !== undefined ? upper : undefined
  if (!from) return undefined
  const raw = get(from)!.trim()
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`)
  } catch {
    throw badProxy(from, `${from} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badProxy(
      from,
      `${from} must be an http:// or https:// proxy URL (${url.protocol} is not supported)`,
    )
  }
  // Registered so that any message that might embed them is scrubbed (src/redact.ts).
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  for (const s of [url.username, url.password, user, password]) registerSecret(s)
  if (user || password) registerSecret(Buffer.from(`${user}:${password}`).toString('base64'))
  return { href: url.href, shown: showProxy(url), from }
}

function badProxy(name: string, message: string): SkillError {
  return new SkillError('invalid_config', message, {
    hint: `Fix ${name} (http://host:port, or http://user:password@host:port), or unset it.`,
  })
}

/**
 * The proxy settings from the environment, or undefined when neither HTTPS_PROXY nor
 * HTTP_PROXY is set (NO_PROXY alone changes nothing).
 * @throws SkillError `invalid_config`.
 */
export function readProxyEnv(get: (name: string) => string | undefined): ProxyEnv | undefined {
  const https = readProxy(get, 'HTTPS_PROXY')
  const http = readProxy(get, 'HTTP_PROXY')
  if (!https && !http) return undefined
  return { http, https, noProxy: get('no_proxy') ?? get('NO_PROXY') ?? '' }
}

/**
 * The proxy a request to `url` goes through, or undefined when it goes direct. The same rule as
 * undici's `EnvHttpProxyAgent`, which makes the actual choice: an empty NO_PROXY proxies
 * everything (loopback too), `*` nothing; an entry matches its host and its subdomains, and
 * only its port when it names one.
 */
export function proxyFor(url: string, env: ProxyEnv): ProxyUrl | undefined {
  const u = new URL(url)
  const host = u.host.replace(/:\d*$/, '').toLowerCase()
  const port = Number.parseInt(u.port, 10) || DEFAULT_PORT[u.protocol] || 0
  if (env.noProxy === '*') return undefined
  for (const entry of env.noProxy.split(/[,\s]/)) {
    if (!entry) continue
    const m = /^(.+):(\d+)$/.exec(entry)
    const name = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase()
    if (m && Number(m[2]) !== port) continue
    if (host === name || host.endsWith(`.${name}`)) return undefined
  }
  return u.protocol === 'https:' ? (env.https ?? env.http) : env.http
}

/** What `doctor` shows: each service's route (a redacted proxy, or "direct") and the variables. */
export function proxyView(env: ProxyEnv | undefined, services: Record<string, string>) {
  if (!env) return null
  const routes: Record<string, string> = {}
  for (const [name, url] of Object.entries(services)) {
    const via = proxyFor(url, env)
    routes[name] = via ? `${via.shown} (${via.from})` : 'direct (NO_PROXY)'
  }
  return {
    https_proxy: env.https?.shown ?? null,
    http_proxy: env.http?.shown ?? null,
    no_proxy: env.noProxy || null,
    routes,
  }
}

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/**
 * Maps a transport error of a request sent through `via` to `proxy_error` when the proxy itself
 * failed: it refused the tunnel (407, 403, or any non-200 answer to CONNECT), or could not be
 * reached at all. Returns undefined for anything else (the target's own failures).
 */
export function proxyFailure(err: unknown, target: string, via: ProxyUrl): SkillError | undefined {
  const e = err as { message?: string; code?: string; port?: number; hostname?: string }
  const proxy = new URL(via.href)
  const origin = new URL(target).host
  const status = /Proxy response \((\d+)\)|Proxy Authentication Required \((\d+)\)/.exec(
    e?.message ?? '',
  )
  if (status) {
    const code = Number(status[1] ?? status[2])
    const hint =
      code === 407
        ? `The proxy ${via.shown} (from ${via.from}) wants credentials: put them in ${via.from} as http://user:password@host:port, or fix the ones there.`
        : code === 403
          ? `The proxy ${via.shown} (from ${via.from}) does not allow ${origin}: ask whoever runs it to allow that host, or list the host in NO_PROXY if it is reachable directly.`
          : `The proxy ${via.shown} (from ${via.from}) could not open a tunnel to ${origin}; try again, and check the proxy if it persists.`
    return new SkillError(
      'proxy_error',
      `The proxy ${via.shown} refused the connection to ${origin} (HTTP ${code})`,
      { hint, retryable: code >= 500, extra: { proxy: via.shown, proxy_status: code } },
    )
  }
  const port = Number(proxy.port) || DEFAULT_PORT[proxy.protocol]
  const atProxy = e?.port === port || (e?.hostname !== undefined && e.hostname === proxy.hostname)
  if (e?.code && CONNECT_FAILURES.has(e.code) && atProxy) {
    return new SkillError(
      'proxy_error',
      `Could not connect to the proxy ${via.shown} (${e.code}) for ${origin}`,
      {
        hint: `Nothing answers at the proxy ${via.shown} (from ${via.from}): check the variable, start the proxy, or unset ${via.from} if no proxy is needed.`,
        retryable: true,
        extra: { proxy: via.shown },
      },
    )
  }
  return undefined
}
