/** Pure units: config validation, redaction, JWT claims, argv parsing, parsers without HTTP. */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { COMMANDS } from '../src/cli/commands.js'
import { parseArgs } from '../src/cli/parse.js'
import { parsePoll, parseUserCode } from '../src/oauth/device.js'
import { readClaims } from '../src/oauth/jwt.js'
import { refreshError } from '../src/oauth/tokens.js'
import { redact, registerSecret } from '../src/redact.js'
import { retryAfterSeconds } from '../src/http.js'
import { SkillError, toFailure } from '../src/result.js'

const jwt = (claims: object) =>
  ['{"alg":"none","typ":"JWT"}', JSON.stringify(claims)]
    .map((p) => Buffer.from(p).toString('base64url'))
    .join('.') + '.'
const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers,
  text: typeof body === 'string' ? body : JSON.stringify(body),
})
const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return (e as SkillError).code
  }
  return 'no error'
}

describe('config', () => {
  it('defaults and accepts loopback http', () => {
    const c = loadConfig({ HOME: '/h', CHATGPT_CODEX_ISSUER: 'http://127.0.0.1:5000/' })
    expect(c.issuer).toBe('http://127.0.0.1:5000')
    expect(c.backendUrl).toBe('https://chatgpt.com/backend-api')
    expect(c.home).toBe('/h/.local/state/chatgpt-codex-onboarding')
    expect(c.timeoutMs).toBe(15_000)
    expect(c.lockStaleMs).toBeGreaterThan(c.timeoutMs)
  })
  it.each([
    ['CHATGPT_CODEX_ISSUER', 'http://auth.example.com'],
    ['CHATGPT_CODEX_BACKEND_URL', 'ftp://127.0.0.1'],
    ['CHATGPT_CODEX_ISSUER', 'not a url'],
    ['CHATGPT_CODEX_ISSUER', 'https://user:pw@auth.openai.com'],
    ['CHATGPT_CODEX_TIMEOUT_MS', 'soon'],
    ['CHATGPT_CODEX_TIMEOUT_MS', '5'],
    ['CHATGPT_CODEX_HOME', 'relative/dir'],
    ['CHATGPT_CODEX_STORE', 'keyring'],
  ])('%s=%s is invalid_config', (k, v) => {
    expect(code(() => loadConfig({ HOME: '/h', [k]: v }))).toBe('invalid_config')
  })
  it('rejects a lock stale time not longer than the timeout', () => {
    const env = {
      HOME: '/h',
      CHATGPT_CODEX_TIMEOUT_MS: '30000',
      CHATGPT_CODEX_LOCK_STALE_MS: '20000',
    }
    expect(code(() => loadConfig(env))).toBe('invalid_config')
  })
  it('names conflicting env vars without their values', () => {
    const c = loadConfig({ HOME: '/h', OPENAI_API_KEY: 'sk-secretsecret' })
    expect(c.conflictingEnv).toEqual(['OPENAI_API_KEY'])
  })
})

describe('redaction', () => {
  it('scrubs token shapes and registered secrets', () => {
    const token = jwt({ sub: 'x', exp: 1 })
    registerSecret('dev_auth_0123456789abc')
    const text = `body {"refresh_token":"opaque-value-1"} Bearer abcdefghijk ${token} rt_abcdefghijklmnop sk-proj-abcdefghijkl code=abcdefgh dev_auth_0123456789abc`
    const out = redact(text)
    for (const bad of [
      'opaque-value-1',
      'abcdefghijk',
      token,
      'rt_abcdefghijklmnop',
      'sk-proj-abcdefghijkl',
      'code=abcdefgh',
      'dev_auth_0123456789abc',
    ]) {
      expect(out).not.toContain(bad)
    }
  })
  it('leaves ordinary text alone', () => {
    const text =
      'The device-code request failed with HTTP 500 at https://auth.openai.com/oauth/token'
    expect(redact(text)).toBe(text)
  })
  it('never lets a stack trace into a failure', () => {
    const f = toFailure(new TypeError('boom'))
    expect(f).toMatchObject({ ok: false, code: 'internal_error', retryable: false })
    expect(JSON.stringify(f)).not.toMatch(/\n\s+at /)
  })
})

describe('jwt claims', () => {
  it('reads the claims the CLI reads, with the profile email fallback', () => {
    const c = readClaims(
      jwt({
        exp: 100,
        iat: 50,
        'https://api.openai.com/profile': { email: 'a@b.c' },
        'https://api.openai.com/auth': {
          chatgpt_account_id: 'acc',
          chatgpt_plan_type: 'pro',
          user_id: 'u',
        },
      }),
    )
    expect(c).toEqual({
      email: 'a@b.c',
      plan: 'pro',
      account_id: 'acc',
      user_id: 'u',
      exp: 100_000,
      iat: 50_000,
    })
  })
  it('treats garbage as no claims', () => {
    expect(readClaims('nope').account_id).toBeNull()
    expect(readClaims('a.!!!.c').exp).toBeNull()
  })
})

describe('device parsers', () => {
  it('accepts the string interval and the usercode alias', () => {
    expect(
      parseUserCode(res(200, { device_auth_id: 'd', usercode: 'AB-12', interval: '5' }), 0),
    ).toEqual({
      device_auth_id: 'd',
      user_code: 'AB-12',
      interval_s: 5,
    })
    expect(parseUserCode(res(200, { device_auth_id: 'd', user_code: 'X' }), 0).interval_s).toBe(0)
  })
  it('maps 404 and bad bodies', () => {
    expect(code(() => parseUserCode(res(404, ''), 0))).toBe('device_login_unavailable')
    expect(code(() => parseUserCode(res(200, '<html>'), 0))).toBe('invalid_response')
    expect(code(() => parseUserCode(res(200, { user_code: 'x' }), 0))).toBe('invalid_response')
    expect(code(() => parseUserCode(res(503, 'busy'), 0))).toBe('upstream_error')
  })
  it('reads 403 and 404 as pending and other statuses as fatal', () => {
    expect(parsePoll(res(403, ''), 0)).toEqual({ state: 'pending' })
    expect(parsePoll(res(404, ''), 0)).toEqual({ state: 'pending' })
    expect(code(() => parsePoll(res(400, 'denied'), 0))).toBe('access_denied')
    expect(code(() => parsePoll(res(429, ''), 0))).toBe('rate_limited')
  })
})

describe('refresh error classification', () => {
  it.each([
    [401, { error: { code: 'refresh_token_reused' } }, 'refresh_token_reused'],
    [400, { error: 'refresh_token_expired' }, 'refresh_token_expired'],
    [401, { code: 'REFRESH_TOKEN_INVALIDATED' }, 'refresh_token_invalidated'],
    [401, { error: 'whatever' }, 'reauth_required'],
    [400, { error: 'invalid_grant' }, 'upstream_error'],
    [500, 'oops', 'upstream_error'],
  ])('%i %j -> %s', (status, body, expected) => {
    expect(refreshError(res(status, body), 0).code).toBe(expected)
  })
})

describe('retry-after', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterSeconds('7', 0)).toBe(7)
    expect(retryAfterSeconds(new Date(30_000).toUTCString(), 0)).toBe(30)
    expect(retryAfterSeconds('soon', 0)).toBeUndefined()
  })
})

describe('argv', () => {
  it('maps kebab flags to snake options', () => {
    expect(parseArgs(['poll', '--pending-id', 'pl_abc'], COMMANDS).opts).toEqual({
      pending_id: 'pl_abc',
    })
    expect(parseArgs(['start', '--force', '--method=browser'], COMMANDS).opts).toEqual({
      force: true,
      method: 'browser',
    })
  })
})
