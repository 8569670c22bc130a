/**
 * Token endpoint calls (docs/protocol.md#step-4-exchange-the-code,
 * docs/protocol.md#4-token-refresh): code exchange (form), refresh (JSON, with
 * rotation), revoke (best effort), and the error classification the Codex CLI uses.
 */
import * as z from '../zod.js'
import type { Config } from '../config.js'
import { parseJson, send, statusError, type HttpResponse } from '../http.js'
import { registerSecret } from '../redact.js'
import { SkillError, type ErrorCode } from '../result.js'

const text = () => z.string().check(z.minLength(1))
const TokenSet = z.object({ id_token: text(), access_token: text(), refresh_token: text() })
export type TokenSet = z.infer<typeof TokenSet>

// Every field may be missing on refresh; missing ones keep their stored values
// (docs/protocol.md#42-response). A 200
// carrying none of them rotated nothing: it is an unexpected shape, not a successful refresh.
const Refreshed = z
  .object({
    id_token: z.optional(text()),
    access_token: z.optional(text()),
    refresh_token: z.optional(text()),
  })
  .check(
    z.refine(
      (r) => !!(r.id_token || r.access_token || r.refresh_token),
      'no token in the response',
    ),
  )
export type Refreshed = z.infer<typeof Refreshed>

function remember<T extends Partial<TokenSet>>(t: T): T {
  registerSecret(t.id_token)
  registerSecret(t.access_token)
  registerSecret(t.refresh_token)
  return t
}

/**
 * Exchanges an authorization code (device or browser flow) for tokens. Form-encoded.
 * @throws SkillError `upstream_rejected`, `upstream_error`, `rate_limited`, `invalid_response`, `timeout`, `network_error`.
 * @see docs/protocol.md#step-4-exchange-the-code
 */
export async function exchangeCode(
  cfg: Config,
  grant: { code: string; code_verifier: string; redirect_uri: string },
  now: number,
): Promise<TokenSet> {
  const res = await send({
    method: 'POST',
    url: `${cfg.issuer}/oauth/token`,
    form: {
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: grant.redirect_uri,
      client_id: cfg.clientId,
      code_verifier: grant.code_verifier,
    },
    timeoutMs: cfg.timeoutMs,
    proxy: cfg.proxy,
  })
  if (res.status !== 200) throw tokenEndpointError(res, 'The code exchange', now)
  return remember(parseJson(res, TokenSet, 'The token endpoint'))
}

/**
 * One refresh-token grant. JSON body, as the CLI sends it (docs/protocol.md#41-request).
 * @throws SkillError `refresh_token_expired`, `refresh_token_reused`, `refresh_token_invalidated`,
 * `reauth_required`, `upstream_error`, `invalid_response`, `timeout`, `network_error`.
 * @see docs/protocol.md#4-token-refresh
 */
export async function refreshGrant(
  cfg: Config,
  refreshToken: string,
  now: number,
): Promise<Refreshed> {
  const res = await send({
    method: 'POST',
    url: `${cfg.issuer}/oauth/token`,
    headers: { originator: cfg.originator },
    json: { client_id: cfg.clientId, grant_type: 'refresh_token', refresh_token: refreshToken },
    timeoutMs: cfg.timeoutMs,
    proxy: cfg.proxy,
  })
  if (res.status !== 200) throw refreshError(res, now)
  return remember(parseJson(res, Refreshed, 'The token endpoint'))
}

/**
 * Revokes a token (docs/protocol.md#45-revocation-logout-and-replacement-at-login). Best effort:
 * returns false rather than throwing.
 */
export async function revoke(
  cfg: Config,
  token: { refresh?: string; access?: string },
): Promise<boolean> {
  const json = token.refresh
    ? { token: token.refresh, token_type_hint: 'refresh_token', client_id: cfg.clientId }
    : { token: token.access, token_type_hint: 'access_token' }
  try {
    const res = await send({
      method: 'POST',
      url: `${cfg.issuer}/oauth/revoke`,
      headers: { originator: cfg.originator },
      json,
      timeoutMs: Math.min(cfg.timeoutMs, 10_000),
      proxy: cfg.proxy,
    })
    return res.status >= 200 && res.status < 300
  } catch {
    return false
  }
}

function errorBody(res: HttpResponse): { code?: string; detail?: string } {
  try {
    const b = JSON.parse(res.text) as Record<string, unknown>
    const err = b.error
    const errObj = err && typeof err === 'object' ? (err as Record<string, unknown>) : undefined
    const code = [errObj?.code, typeof err === 'string' ? err : undefined, b.code].find(
      (c): c is string => typeof c === 'string',
    )
    const detail = [
      b.error_description,
      errObj?.message,
      typeof err === 'string' ? err : undefined,
    ].find((d): d is string => typeof d === 'string')
    return { code: code?.toLowerCase(), detail }
  } catch {
    return {}
  }
}

const PERMANENT: Record<string, ErrorCode> = {
  refresh_token_expired: 'refresh_token_expired',
  refresh_token_reused: 'refresh_token_reused',
  refresh_token_invalidated: 'refresh_token_invalidated',
}

const PERMANENT_MESSAGES: Record<string, string> = {
  refresh_token_expired: 'The refresh token has expired',
  refresh_token_reused: 'The refresh token was already used (another client refreshed with it)',
  refresh_token_invalidated: 'The refresh token was revoked',
}

/**
 * `classify_refresh_token_failure` (docs/protocol.md#44-error-classification): named codes and
 * any 401 are permanent.
 * Never throws; returns the classified error.
 * @see docs/protocol.md#44-error-classification
 */
export function refreshError(res: HttpResponse, now: number): SkillError {
  const { code } = errorBody(res)
  const named = code ? PERMANENT[code] : undefined
  if (named && code) return new SkillError(named, PERMANENT_MESSAGES[code]!, { retryable: false })
  if (res.status === 401) {
    return new SkillError('reauth_required', 'The refresh token was rejected (HTTP 401)', {
      retryable: false,
    })
  }
  return tokenEndpointError(res, 'The token refresh', now)
}

function tokenEndpointError(res: HttpResponse, what: string, now: number): SkillError {
  if (res.status === 429 || res.status >= 500) return statusError(res, what, now)
  const { detail, code } = errorBody(res)
  if (code === 'access_denied') return new SkillError('access_denied', `${what} was denied`)
  return new SkillError(
    'upstream_error',
    `${what} failed with HTTP ${res.status}${detail ? `: ${detail}` : code ? `: ${code}` : ''}`,
    { retryable: false },
  )
}
