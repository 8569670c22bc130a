/**
 * auth.openai.com as the Codex CLI sees it (protocol.md §2–§4): device code, poll, token
 * endpoint (form exchange, JSON refresh with rotation and reuse detection), revoke, authorize.
 */
import type { ServerResponse } from 'node:http'
import { json, text, isForm, isJson } from './http-util.js'
import { EmuState } from './state.js'
import { CLIENT_ID, alnum, mintTokens, rand, s256 } from './tokens.js'
import type { Req } from './types.js'

const DEVICE_TTL_MS = 15 * 60_000
const CALLBACK = /^http:\/\/(127\.0\.0\.1|localhost):\d+\/auth\/callback$/

export function issuerRoutes(s: EmuState, issuer: () => string, now: () => number) {
  const body = (req: Req) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {})

  function issueTokens(res: ServerResponse, account = s.account, omit?: 'omit' | 'no-rotate') {
    const t = mintTokens(account, issuer(), now(), s.modes.accessTtlS)
    s.mint(t.id_token)
    s.mint(t.access_token)
    s.access.set(t.access_token, { account, exp: now() + s.modes.accessTtlS * 1000 })
    if (omit === 'omit') return json(res, 200, { access_token: t.access_token })
    if (omit !== 'no-rotate') s.refresh.set(s.mint(t.refresh_token), { account, state: 'active' })
    const out: Record<string, unknown> = { ...t, token_type: 'Bearer', expires_in: s.modes.accessTtlS }
    if (omit === 'no-rotate') delete out.refresh_token
    json(res, 200, out)
  }

  const tokenError = (res: ServerResponse, status: number, code: string, message: string) =>
    json(res, status, { error: { message, type: 'invalid_request_error', param: null, code } })

  return {
    'POST /api/accounts/deviceauth/usercode'(req: Req, res: ServerResponse) {
      if (s.modes.usercode === 'disabled') return json(res, 404, { detail: 'device code login is not enabled' })
      if (s.modes.usercode === 'error') return json(res, 500, { detail: 'internal error' })
      if (!isJson(req.headers) || body(req).client_id !== CLIENT_ID) return json(res, 400, { error: 'invalid_client' })
      const d = {
        device_auth_id: s.mint(`deviceauth_${rand(24)}`),
        user_code: `${alnum(4).toUpperCase()}-${alnum(5).toUpperCase()}`,
        expires_at: now() + DEVICE_TTL_MS,
        status: 'pending' as const,
      }
      s.devices.push(d)
      json(res, 200, {
        device_auth_id: d.device_auth_id,
        user_code: d.user_code,
        interval: s.modes.interval, // always a string: 0.169.0 rejects a number
        expires_at: new Date(d.expires_at).toISOString(),
      })
    },

    'POST /api/accounts/deviceauth/token'(req: Req, res: ServerResponse) {
      const b = body(req)
      const d = s.devices.find((x) => x.device_auth_id === b.device_auth_id)
      if (!d || d.user_code !== b.user_code) return json(res, 400, { error: 'invalid_request' })
      if (now() > d.expires_at) return json(res, 400, { error: 'expired_token', error_description: 'device code expired' })
      if (d.status === 'denied') return json(res, 400, { error: 'access_denied' })
      if (d.status === 'collected') return json(res, 400, { error: 'invalid_grant' })
      if (d.status === 'pending') return text(res, s.modes.pendingStatus, '')
      d.status = 'collected'
      const verifier = s.mint(rand(64))
      const code = s.mint(`ac_${rand(32)}`)
      const challenge = s256(verifier)
      s.codes.set(code, { challenge, redirect_uri: `${issuer()}/deviceauth/callback`, account: s.account, used: false })
      json(res, 200, { authorization_code: code, code_challenge: challenge, code_verifier: verifier })
    },

    'POST /oauth/token'(req: Req, res: ServerResponse) {
      const b = body(req)
      if (b.grant_type === 'authorization_code') {
        if (!isForm(req.headers)) return json(res, 400, { error: 'invalid_request', error_description: 'form body required' })
        const c = s.codes.get(b.code ?? '')
        if (!c || c.used) return json(res, 400, { error: 'invalid_grant', error_description: 'code is invalid or was already used' })
        c.used = true
        if (b.client_id !== CLIENT_ID) return json(res, 400, { error: 'invalid_client' })
        if (s256(b.code_verifier ?? '') !== c.challenge)
          return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' })
        if (b.redirect_uri !== c.redirect_uri)
          return json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' })
        s.stats.exchanges++
        return issueTokens(res, c.account)
      }
      if (b.grant_type === 'urn:ietf:params:oauth:grant-type:token-exchange') {
        if (!isForm(req.headers)) return json(res, 400, { error: 'invalid_request' })
        return json(res, 200, { access_token: s.mint(`sk-emu-${alnum(40)}`) })
      }
      if (b.grant_type === 'refresh_token') {
        if (!isJson(req.headers)) return json(res, 400, { error: 'invalid_request', error_description: 'JSON body required' })
        s.stats.refreshes++
        const r = s.refresh.get(b.refresh_token ?? '')
        if (!r) return tokenError(res, 401, 'refresh_token_invalidated', 'Unknown refresh token.')
        if (r.state === 'used') {
          s.stats.reuse++
          return tokenError(res, 401, 'refresh_token_reused', 'Your refresh token has already been used to generate a new access token. Please try signing in again.')
        }
        if (r.state === 'revoked') return tokenError(res, 401, 'refresh_token_invalidated', 'Your refresh token was revoked.')
        if (s.modes.refresh === 'expired') return tokenError(res, 401, 'refresh_token_expired', 'Your refresh token has expired.')
        if (s.modes.refresh === 'invalidated') return tokenError(res, 401, 'refresh_token_invalidated', 'Your refresh token was revoked.')
        const rotates = s.modes.refresh !== 'no-rotate' && s.modes.refresh !== 'omit'
        if (rotates) r.state = 'used'
        // A refresh answers for the account the emulator now has: tests switch it to check
        // that a client refuses tokens of another account.
        return issueTokens(res, { ...r.account, account_id: s.account.account_id }, s.modes.refresh === 'ok' ? undefined : s.modes.refresh as 'omit' | 'no-rotate')
      }
      json(res, 400, { error: 'unsupported_grant_type' })
    },

    'POST /oauth/revoke'(req: Req, res: ServerResponse) {
      const r = s.refresh.get(body(req).token ?? '')
      if (r) r.state = 'revoked'
      s.stats.revoked++
      json(res, 200, {})
    },

    'GET /oauth/authorize'(req: Req, res: ServerResponse) {
      const q = req.query
      if (q.client_id !== CLIENT_ID || q.response_type !== 'code') return text(res, 400, 'invalid client or response_type')
      if (q.code_challenge_method !== 'S256' || !q.code_challenge) return text(res, 400, 'PKCE S256 required')
      if (!CALLBACK.test(q.redirect_uri ?? '')) return text(res, 400, 'redirect_uri not allowed')
      const target = new URL(q.redirect_uri!)
      if (s.modes.authorize === 'deny') {
        target.searchParams.set('error', 'access_denied')
        target.searchParams.set('error_description', s.modes.authorizeErrorDescription ?? 'The user denied access')
      } else {
        const code = s.mint(`ac_${rand(32)}`)
        s.codes.set(code, { challenge: q.code_challenge, redirect_uri: q.redirect_uri!, account: s.account, used: false })
        target.searchParams.set('code', code)
      }
      if (q.state !== undefined) target.searchParams.set('state', q.state)
      res.writeHead(302, { location: target.href, 'content-length': 0 })
      res.end()
    },
  }
}
