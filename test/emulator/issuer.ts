/**
 * auth.openai.com as the Codex CLI sees it (docs/protocol.md#2-device-code-flow to
 * docs/protocol.md#4-token-refresh): device user code and poll, the
 * token endpoint (form code exchange, form API-key exchange, JSON refresh with rotation and
 * reuse detection), revoke, and the browser authorize redirect.
 */
import type { ServerResponse } from 'node:http'
import { CLIENT_ID, alnum, mintTokens, rand, s256, userCode } from './jwt.js'
import { fields, isForm, isJson, json, text, type Req, type Routes } from './server.js'
import type { EmuAccount, EmuState, Lineage } from './state.js'

const DEVICE_TTL_MS = 15 * 60_000
const CODE_TTL_MS = 10 * 60_000
const REUSED =
  'Your refresh token has already been used to generate a new access token. Please try signing in again.'

/** The callbacks 0.169.0 and older CLIs use, plus any 127.0.0.1 port so tests can pick theirs. */
function allowedRedirect(uri: string): boolean {
  return (
    /^http:\/\/(127\.0\.0\.1|localhost):(1455|1457)\/auth\/callback$/.test(uri) ||
    /^http:\/\/127\.0\.0\.1:\d{1,5}\/auth\/callback$/.test(uri)
  )
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** The issuer's routes; `issuer()` is the emulator's base URL once it listens. */
export function issuerRoutes(s: EmuState, issuer: () => string, now: () => number): Routes {
  /** OAuth-style error body, as the real token endpoint sends for refresh failures
   * (docs/protocol.md#44-error-classification). */
  const refreshError = (res: ServerResponse, code: string, message: string) =>
    json(res, 401, { error: { message, type: 'invalid_request_error', param: null, code } })
  const grantError = (res: ServerResponse, error: string, description: string) =>
    json(res, 400, { error, error_description: description })

  /** Mints tokens in `lineage`; `shape` drops fields as the refresh modes ask. */
  function issue(
    res: ServerResponse,
    account: EmuAccount,
    lineage: Lineage,
    shape: 'full' | 'no-rotate' | 'omit' = 'full',
  ): void {
    const ttl = s.modes.accessTtlS
    const t = mintTokens(account, issuer(), now(), ttl)
    s.access.set(s.mint(t.access_token), { lineage, account, exp: now() + ttl * 1000 })
    if (shape === 'omit') return json(res, 200, { access_token: t.access_token })
    s.mint(t.id_token)
    const out = { id_token: t.id_token, access_token: t.access_token, token_type: 'Bearer' }
    if (shape === 'no-rotate') return json(res, 200, { ...out, expires_in: ttl })
    s.refresh.set(s.mint(t.refresh_token), { lineage, used: false })
    json(res, 200, { ...out, refresh_token: t.refresh_token, expires_in: ttl })
  }

  function exchangeCode(req: Req, res: ServerResponse): void {
    const b = fields(req)
    if (!isForm(req)) return grantError(res, 'invalid_request', 'Expected a form-encoded body.')
    if (b.client_id !== CLIENT_ID) return grantError(res, 'invalid_client', 'Unknown client.')
    const c = s.codes.get(str(b.code))
    if (!c || c.used) {
      return grantError(
        res,
        'invalid_grant',
        'The authorization code is invalid or was already used.',
      )
    }
    // Spent by any attempt, as a single-use code should be.
    c.used = true
    if (now() > c.exp) return grantError(res, 'invalid_grant', 'The authorization code expired.')
    if (s256(str(b.code_verifier)) !== c.challenge) {
      return grantError(
        res,
        'invalid_grant',
        'PKCE verification failed: code_verifier does not match code_challenge.',
      )
    }
    if (b.redirect_uri !== c.redirect_uri) {
      return grantError(
        res,
        'invalid_grant',
        'The redirect_uri does not match the authorization request.',
      )
    }
    s.stats.exchanges++
    issue(res, c.account, { revoked: false })
  }

  function refresh(req: Req, res: ServerResponse): void {
    const b = fields(req)
    if (!isJson(req)) return grantError(res, 'invalid_request', 'Expected a JSON body.')
    s.stats.refreshes++
    if (b.client_id !== CLIENT_ID) return grantError(res, 'invalid_client', 'Unknown client.')
    const r = s.refresh.get(str(b.refresh_token))
    if (!r || r.lineage.revoked) {
      return refreshError(
        res,
        'refresh_token_invalidated',
        'Your refresh token has been invalidated. Please try signing in again.',
      )
    }
    if (r.used) {
      s.stats.reuse++
      return refreshError(res, 'refresh_token_reused', REUSED)
    }
    const mode = s.modes.refresh
    if (mode === 'expired') {
      return refreshError(
        res,
        'refresh_token_expired',
        'Your refresh token has expired. Please try signing in again.',
      )
    }
    if (mode === 'invalidated') {
      return refreshError(
        res,
        'refresh_token_invalidated',
        'Your refresh token has been invalidated. Please try signing in again.',
      )
    }
    if (mode === 'ok') r.used = true
    // Answers for the account the emulator has now, so tests can switch it under a live lineage.
    issue(res, s.account, r.lineage, mode === 'ok' ? 'full' : mode)
  }

  function apiKeyExchange(req: Req, res: ServerResponse): void {
    const b = fields(req)
    if (!isForm(req)) return grantError(res, 'invalid_request', 'Expected a form-encoded body.')
    if (b.requested_token !== 'openai-api-key' || !s.minted.includes(str(b.subject_token))) {
      return grantError(res, 'invalid_request', 'Unsupported token exchange.')
    }
    json(res, 200, { access_token: s.mint(`sk-emu-${alnum(40)}`) })
  }

  return {
    'POST /api/accounts/deviceauth/usercode'(req, res) {
      if (s.modes.usercode === 'disabled') {
        return json(res, 404, { detail: 'device code login is not enabled' })
      }
      if (s.modes.usercode === 'error') return json(res, 500, { detail: 'Internal Server Error' })
      if (fields(req).client_id !== CLIENT_ID)
        return grantError(res, 'invalid_client', 'Unknown client.')
      let code = userCode()
      while (s.device(code)) code = userCode()
      const d = {
        device_auth_id: s.mint(`deviceauth_${rand(24)}`),
        user_code: code,
        expires_at: now() + DEVICE_TTL_MS,
        status: 'pending' as const,
      }
      s.devices.push(d)
      json(res, 200, {
        device_auth_id: d.device_auth_id,
        user_code: d.user_code,
        interval: String(s.modes.interval),
        expires_at: new Date(d.expires_at).toISOString(),
      })
    },

    'POST /api/accounts/deviceauth/token'(req, res) {
      const b = fields(req)
      const d = s.devices.find((x) => x.device_auth_id === b.device_auth_id)
      if (!d || d.user_code !== b.user_code)
        return grantError(res, 'invalid_request', 'Unknown device login.')
      if (now() > d.expires_at) return grantError(res, 'expired_token', 'The device code expired.')
      if (d.status === 'denied')
        return grantError(res, 'access_denied', 'The user denied the login.')
      if (d.status === 'collected') return grantError(res, 'invalid_grant', 'Already collected.')
      // The CLI never reads the pending body; the real one is unknown, so keep it empty.
      if (d.status === 'pending') return text(res, s.modes.pendingStatus, '')
      d.status = 'collected'
      const verifier = s.mint(rand(64))
      const challenge = s256(verifier)
      const code = s.mint(`ac_${rand(32)}`)
      s.codes.set(code, {
        challenge,
        redirect_uri: `${issuer()}/deviceauth/callback`,
        account: s.account,
        used: false,
        exp: now() + CODE_TTL_MS,
      })
      json(res, 200, {
        authorization_code: code,
        code_challenge: challenge,
        code_verifier: verifier,
      })
    },

    async 'POST /oauth/token'(req, res) {
      const hold = s.modes.holdToken
      const wait = () => new Promise<void>((r) => s.held.push(r))
      if (hold === 'before') await wait()
      if (hold === 'after') {
        // The grant is processed (a refresh token rotated) now; its answer leaves on release.
        const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse
        res.end = ((...a: unknown[]) => {
          void wait().then(() => end(...a))
          return res
        }) as typeof res.end
      }
      const grant = fields(req).grant_type
      if (grant === 'authorization_code') return exchangeCode(req, res)
      if (grant === 'refresh_token') return refresh(req, res)
      if (grant === 'urn:ietf:params:oauth:grant-type:token-exchange')
        return apiKeyExchange(req, res)
      grantError(res, 'unsupported_grant_type', `Unsupported grant_type: ${String(grant)}`)
    },

    'POST /oauth/revoke'(req, res) {
      const token = str(fields(req).token)
      if (!token) return grantError(res, 'invalid_request', 'token is required')
      // RFC 7009: unknown tokens are answered 200 as well.
      s.revoke(token)
      s.stats.revoked++
      json(res, 200, {})
    },

    'GET /oauth/authorize'(req, res) {
      const q = req.query
      if (q.client_id !== CLIENT_ID) return text(res, 400, 'Bad request: unknown client_id')
      if (q.response_type !== 'code')
        return text(res, 400, 'Bad request: response_type must be code')
      if (q.code_challenge_method !== 'S256' || !q.code_challenge) {
        return text(res, 400, 'Bad request: PKCE with code_challenge_method=S256 is required')
      }
      const redirect = q.redirect_uri ?? ''
      if (!allowedRedirect(redirect)) return text(res, 400, 'Bad request: redirect_uri not allowed')
      const target = new URL(redirect)
      if (s.modes.authorize === 'deny') {
        target.searchParams.set('error', 'access_denied')
        target.searchParams.set(
          'error_description',
          s.modes.authorizeErrorDescription ?? 'The user denied the authorization request.',
        )
      } else {
        const code = s.mint(`ac_${rand(32)}`)
        s.codes.set(code, {
          challenge: q.code_challenge,
          redirect_uri: redirect,
          account: s.account,
          used: false,
          exp: now() + CODE_TTL_MS,
        })
        target.searchParams.set('code', code)
        if (q.scope !== undefined) target.searchParams.set('scope', q.scope)
      }
      if (q.state !== undefined) target.searchParams.set('state', q.state)
      res.writeHead(302, { location: target.href, 'content-length': 0 })
      res.end()
    },
  }
}
