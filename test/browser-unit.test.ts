/**
 * Issue 6 units, in process (no HTTP): PKCE and state, the authorize URL, the callback verdicts,
 * the pasted-URL parser, the result page's escaping and the new config variables.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { authorizeUrl, redirectUri } from '../src/oauth/authorize.js'
import { newPkce, newState, sameState } from '../src/oauth/pkce.js'
import { redact } from '../src/redact.js'
import { escapeHtml, failurePage, PAGE_HEADERS, successPage } from '../src/signin/callback-page.js'
import { judge, parsePastedUrl } from '../src/signin/callback.js'
import type { BrowserPending } from '../src/store/schemas.js'

const pending = (state: string): BrowserPending => ({
  schemaVersion: 1,
  method: 'browser',
  pending_id: 'pl_x',
  state,
  code_verifier: 'v',
  redirect_uri: redirectUri(1455),
  authorize_url: '',
  listener: null,
  created_at: 0,
  expires_at: 1,
  issuer: 'https://auth.openai.com',
  outcome: null,
})

describe('PKCE and state', () => {
  it('verifier is 86 base64url chars, challenge is its S256, and the verifier is registered for redaction', () => {
    const { verifier, challenge } = newPkce()
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{86}$/)
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'))
    expect(redact(`x ${verifier} y`)).not.toContain(verifier)
  })

  it('state is 256 random bits (43 chars), never repeats, and compares in constant time', () => {
    const states = new Set(Array.from({ length: 1000 }, newState))
    expect(states.size).toBe(1000)
    for (const s of states) expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const s = newState()
    expect(sameState(s, s)).toBe(true)
    expect(sameState(s, `${s}x`)).toBe(false)
    expect(sameState(s, s.slice(0, 42))).toBe(false)
    expect(sameState(s, undefined)).toBe(false)
    expect(sameState('', '')).toBe(false)
  })
})

describe('authorize URL', () => {
  it('matches docs/protocol.md#31-authorize-url byte for byte (order, + for spaces) and carries no verifier', () => {
    const { verifier, challenge } = newPkce()
    const url = authorizeUrl(
      {
        issuer: 'https://auth.openai.com',
        clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
        originator: 'codex_cli_rs',
      },
      { redirect_uri: redirectUri(1455), code_challenge: challenge, state: 'STATE' },
    )
    expect(url).toBe(
      'https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann' +
        '&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback' +
        `&code_challenge=${challenge}&code_challenge_method=S256&state=STATE` +
        '&scope=openid+profile+email+offline_access+api.connectors.read+api.connectors.invoke' +
        '&id_token_add_organizations=true&codex_cli_simplified_flow=true&originator=codex_cli_rs',
    )
    expect(url).not.toContain(verifier)
  })
})

describe('callback verdicts', () => {
  const p = pending('S'.repeat(43))
  it('state first: a wrong or missing state is a mismatch even with an error or a code', () => {
    expect(judge(p, { code: 'c', state: 'T'.repeat(43) }).kind).toBe('mismatch')
    expect(judge(p, { code: 'c' }).kind).toBe('mismatch')
    expect(judge(p, { error: 'access_denied' }).kind).toBe('mismatch')
  })
  it('access_denied (and the Codex entitlement case), other errors, a missing code, a code', () => {
    const s = p.state
    const denied = judge(p, { state: s, error: 'access_denied' })
    expect(denied.kind === 'failed' && denied.error.code).toBe('access_denied')
    const ent = judge(p, {
      state: s,
      error: 'access_denied',
      error_description: 'missing_codex_entitlement',
    })
    expect(ent.kind === 'failed' && ent.error.message).toContain('workspace')
    const other = judge(p, { state: s, error: 'server_error' })
    expect(other.kind === 'failed' && other.error.code).toBe('upstream_rejected')
    const none = judge(p, { state: s })
    expect(none.kind === 'failed' && none.error.code).toBe('invalid_argument')
    expect(judge(p, { state: s, code: 'abc' })).toEqual({ kind: 'code', code: 'abc' })
  })
  it('pasted URLs: with or without scheme; refuses text that is no callback', () => {
    expect(parsePastedUrl(' http://127.0.0.1:1455/auth/callback?code=a&state=b ')).toMatchObject({
      code: 'a',
      state: 'b',
    })
    expect(
      parsePastedUrl('localhost:1455/auth/callback?error=access_denied&state=b'),
    ).toMatchObject({
      error: 'access_denied',
    })
    expect(() => parsePastedUrl('http://127.0.0.1:1455/auth/callback')).toThrow(
      /neither a code nor an error/,
    )
    expect(() => parsePastedUrl('http://[')).toThrow(/not a URL/)
  })
})

describe('result page', () => {
  it('escapes every markup character and sends a CSP with default-src none and no script', () => {
    expect(escapeHtml(`<>&"'\``)).toBe('&lt;&gt;&amp;&quot;&#39;&#96;')
    const page = failurePage('Sign-in failed', '"><script>alert(1)</script>')
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page).not.toMatch(/<script/i)
    expect(successPage()).not.toMatch(/<script/i)
    expect(PAGE_HEADERS['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-/,
    )
    const style = /<style>(.*?)<\/style>/.exec(page)![1]!
    const hash = createHash('sha256').update(style).digest('base64')
    expect(PAGE_HEADERS['content-security-policy']).toContain(`'sha256-${hash}'`)
    expect(failurePage('m', 'x'.repeat(5000)).length).toBeLessThan(2000)
  })
})

describe('config', () => {
  it('CHATGPT_CODEX_CALLBACK_PORTS (default 1455,1457) and CHATGPT_CODEX_BROWSER_TTL_MS (default 10 min)', () => {
    const base = { HOME: '/tmp/h' }
    expect(loadConfig(base)).toMatchObject({ callbackPorts: [1455, 1457], browserTtlMs: 600_000 })
    expect(
      loadConfig({ ...base, CHATGPT_CODEX_CALLBACK_PORTS: ' 2000, 2001 ' }).callbackPorts,
    ).toEqual([2000, 2001])
    expect(() => loadConfig({ ...base, CHATGPT_CODEX_CALLBACK_PORTS: '1455,x' })).toThrow(
      /CHATGPT_CODEX_CALLBACK_PORTS/,
    )
    expect(() => loadConfig({ ...base, CHATGPT_CODEX_CALLBACK_PORTS: '70000' })).toThrow(/1-65535/)
    expect(() => loadConfig({ ...base, CHATGPT_CODEX_BROWSER_TTL_MS: '5' })).toThrow(
      /at least 1000/,
    )
  })
})
