/** The emulator itself: the protocol facts the rest of the suite relies on. */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENT_ID, decodeJwt, s256, startEmulator, type Emulator } from './index.js'
import { defaultUsage } from './state.js'

let emu: Emulator
let clock = Date.now()

const post = (path: string, body: unknown, form = false) =>
  fetch(emu.url + path, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form
      ? new URLSearchParams(body as Record<string, string>).toString()
      : JSON.stringify(body),
  })
const refreshBody = (rt: string) => ({
  client_id: CID,
  grant_type: 'refresh_token',
  refresh_token: rt,
})
const CID = CLIENT_ID

/** Polls `cond` every 10 ms for up to 2 s. */
async function waitUntil(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(cond()).toBe(true)
}

beforeAll(async () => {
  emu = await startEmulator({ now: () => clock })
})
afterAll(() => emu.close())

/** A whole device sign-in: user code, approval, poll, form exchange. */
async function deviceTokens() {
  const uc = await (await post('/api/accounts/deviceauth/usercode', { client_id: CID })).json()
  emu.approve(uc.user_code)
  const ok = await (await post('/api/accounts/deviceauth/token', uc)).json()
  const form = {
    grant_type: 'authorization_code',
    code: ok.authorization_code,
    redirect_uri: `${emu.issuer}/deviceauth/callback`,
    client_id: CID,
    code_verifier: ok.code_verifier,
  }
  const res = await post('/oauth/token', form, true)
  expect(res.status).toBe(200)
  return { uc, ok, form, tokens: await res.json() }
}

describe('issuer', () => {
  it('sends interval as a string, 403 while pending, 200 once approved, then 400', async () => {
    const uc = await (await post('/api/accounts/deviceauth/usercode', { client_id: CID })).json()
    expect(uc.interval).toBe('5')
    expect(uc.user_code).toMatch(/^[A-Z]{4}-\d{4}$/)
    expect((await post('/api/accounts/deviceauth/token', uc)).status).toBe(403)
    emu.approve()
    expect((await post('/api/accounts/deviceauth/token', uc)).status).toBe(200)
    expect((await post('/api/accounts/deviceauth/token', uc)).status).toBe(400)
    const bad = await post('/api/accounts/deviceauth/usercode', { client_id: 'app_other' })
    expect(bad.status).toBe(400)
  })

  it('denied and expired device logins answer 400', async () => {
    const a = await (await post('/api/accounts/deviceauth/usercode', { client_id: CID })).json()
    emu.deny(a.user_code)
    expect((await post('/api/accounts/deviceauth/token', a)).status).toBe(400)
    const b = await (await post('/api/accounts/deviceauth/usercode', { client_id: CID })).json()
    clock += 16 * 60_000
    expect((await post('/api/accounts/deviceauth/token', b)).status).toBe(400)
  })

  it('verifies PKCE, mints shaped tokens and refuses a replayed code or a JSON exchange', async () => {
    const { ok, form, tokens } = await deviceTokens()
    expect(s256(ok.code_verifier)).toBe(ok.code_challenge)
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600 })
    expect(tokens.refresh_token).toMatch(/^rt_[A-Za-z0-9]{48}$/)
    const id = decodeJwt(tokens.id_token)!
    expect(id.email).toBe(emu.account.email)
    expect(id['https://api.openai.com/auth']).toMatchObject({
      chatgpt_account_id: emu.account.account_id,
    })
    expect(decodeJwt(tokens.access_token)!.exp).toBe(Math.floor(clock / 1000) + 3600)
    const replay = await post('/oauth/token', form, true)
    expect(replay.status).toBe(400)
    expect((await replay.json()).error).toBe('invalid_grant')
    expect((await post('/oauth/token', form)).status).toBe(400)
    for (const s of [ok.code_verifier, tokens.refresh_token, tokens.access_token]) {
      expect(emu.secrets()).toContain(s)
    }
  })

  it('rotates refresh tokens and detects reuse', async () => {
    const { tokens } = await deviceTokens()
    emu.reset()
    const first = await post('/oauth/token', refreshBody(tokens.refresh_token))
    expect(first.status).toBe(200)
    expect((await first.json()).refresh_token).not.toBe(tokens.refresh_token)
    const again = await post('/oauth/token', refreshBody(tokens.refresh_token))
    expect(again.status).toBe(401)
    expect((await again.json()).error.code).toBe('refresh_token_reused')
    expect(emu.stats).toMatchObject({ reuse: 1, refreshes: 2 })
    expect(emu.count('refresh')).toBe(2)
  })

  it('a revoked lineage refreshes as invalidated and its access token stops working', async () => {
    const { tokens } = await deviceTokens()
    const body = { token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: CID }
    expect((await post('/oauth/revoke', body)).status).toBe(200)
    const r = await post('/oauth/token', refreshBody(tokens.refresh_token))
    expect(r.status).toBe(401)
    expect((await r.json()).error.code).toBe('refresh_token_invalidated')
    const headers = {
      authorization: `Bearer ${tokens.access_token}`,
      'chatgpt-account-id': emu.account.account_id,
    }
    expect((await fetch(`${emu.backendUrl}/wham/usage`, { headers })).status).toBe(401)
  })

  it('authorize redirects with code and state, and refuses a foreign redirect_uri', async () => {
    const q = (redirect: string) =>
      `${emu.url}/oauth/authorize?` +
      new URLSearchParams({
        response_type: 'code',
        client_id: CID,
        redirect_uri: redirect,
        code_challenge: s256('v'.repeat(43)),
        code_challenge_method: 'S256',
        state: 'st-1',
      })
    const r = await fetch(q('http://127.0.0.1:1455/auth/callback'), { redirect: 'manual' })
    expect(r.status).toBe(302)
    const loc = new URL(r.headers.get('location')!)
    expect(loc.searchParams.get('state')).toBe('st-1')
    const form = {
      grant_type: 'authorization_code',
      code: loc.searchParams.get('code')!,
      redirect_uri: 'http://127.0.0.1:1455/auth/callback',
      client_id: CID,
      code_verifier: 'v'.repeat(43),
    }
    expect((await post('/oauth/token', form, true)).status).toBe(200)
    expect((await fetch(q('http://evil.example/auth/callback'))).status).toBe(400)
  })
})

describe('backend', () => {
  let headers: Record<string, string>
  beforeAll(async () => {
    const { tokens } = await deviceTokens()
    headers = {
      authorization: `Bearer ${tokens.access_token}`,
      'chatgpt-account-id': emu.account.account_id,
      'content-type': 'application/json',
    }
  })
  const respond = (body: Record<string, unknown>) =>
    fetch(`${emu.backendUrl}/codex/responses`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
  const good = { model: 'gpt-5.5', instructions: 'x', input: [], store: false, stream: true }

  it('wants a known token of the named account', async () => {
    const bad = await fetch(`${emu.backendUrl}/wham/usage`, {
      headers: { ...headers, authorization: 'Bearer nope' },
    })
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ detail: 'Unauthorized' })
    const other = { ...headers, 'chatgpt-account-id': 'someone-else' }
    expect((await fetch(`${emu.backendUrl}/codex/models`, { headers: other })).status).toBe(401)
    const models = await fetch(`${emu.backendUrl}/codex/models?client_version=0.169.0`, { headers })
    expect(models.headers.get('etag')).toBeTruthy()
    expect((await models.json()).models.length).toBe(emu.modes.models.length)
  })

  it('streams a response as SSE with rate-limit headers', async () => {
    const ok = await respond(good)
    expect(ok.headers.get('content-type')).toContain('text/event-stream')
    expect(ok.headers.get('x-codex-primary-used-percent')).toBe('12.0')
    const events = [...(await ok.text()).matchAll(/^event: (.+)$/gm)].map((m) => m[1])
    expect(events[0]).toBe('response.created')
    expect(events).toContain('response.output_text.delta')
    expect(events.at(-1)).toBe('response.completed')
  })

  it('carries the usage windows of the moment in each answer, and in /wham/usage', async () => {
    emu.set({ usage: { primary: { used_percent: 87.5 }, secondary: { reset_after_s: 600 } } })
    try {
      const r = await respond(good)
      expect(r.headers.get('x-codex-primary-used-percent')).toBe('87.5')
      expect(r.headers.get('x-codex-primary-window-minutes')).toBe('300')
      expect(r.headers.get('x-codex-secondary-used-percent')).toBe('40.0')
      expect(r.headers.get('x-codex-secondary-reset-at')).toBe(
        String(Math.floor(clock / 1000) + 600),
      )
      await r.text()
      const usage = await (await fetch(`${emu.backendUrl}/wham/usage`, { headers })).json()
      expect(usage.rate_limit.primary_window).toMatchObject({
        used_percent: 87.5,
        limit_window_seconds: 18_000,
      })
    } finally {
      emu.set({ usage: defaultUsage() })
    }
  })

  it('can hold its first event back, and records a stream the client hung up on', async () => {
    emu.set({ responses: { reply: 'text', firstDelayMs: 300 } })
    const before = emu.stats.aborted
    const t0 = Date.now()
    const ac = new AbortController()
    const r = await fetch(`${emu.backendUrl}/codex/responses`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(good),
      signal: ac.signal,
    })
    expect(r.status).toBe(200) // the headers come at once
    expect(Date.now() - t0).toBeLessThan(300)
    ac.abort()
    await waitUntil(() => emu.stats.aborted === before + 1)
    emu.set({ responses: { reply: 'text' } })
    emu.stats.aborted = before // the control test below expects a clean count
  })

  it('rejects what the real backend rejects', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, store: true }, 'Store must be set to false'],
      [{ ...good, instructions: undefined }, 'Instructions are required'],
      [{ ...good, temperature: 0.2 }, 'Unsupported parameter: temperature'],
      [{ ...good, input: [{ role: 'system', content: 'x' }] }, 'System messages are not allowed'],
      [
        { ...good, model: 'gpt-nope' },
        "The 'gpt-nope' model is not supported when using Codex with a ChatGPT account.",
      ],
    ]
    for (const [body, detail] of cases) {
      const r = await respond(body)
      expect(r.status).toBe(400)
      expect(await r.json()).toEqual({ detail })
    }
  })
})

describe('control', () => {
  it('is driven over HTTP', async () => {
    await post('/__emu/set', { usercode: 'disabled' })
    expect((await post('/api/accounts/deviceauth/usercode', { client_id: CID })).status).toBe(404)
    await post('/__emu/set', {
      usercode: 'ok',
      faults: { 'GET /backend-api/wham/usage': { kind: 'html502', times: 1 } },
    })
    expect((await fetch(`${emu.backendUrl}/wham/usage`)).status).toBe(502)
    expect((await fetch(`${emu.backendUrl}/wham/usage`)).status).toBe(401)
    const uc = await (await post('/api/accounts/deviceauth/usercode', { client_id: CID })).json()
    await post('/__emu/approve', { user_code: uc.user_code })
    expect((await post('/api/accounts/deviceauth/token', uc)).status).toBe(200)
    const stats = await (await fetch(`${emu.url}/__emu/stats`)).json()
    expect(stats.counts['POST /api/accounts/deviceauth/usercode']).toBeGreaterThan(0)
    expect(stats.stats).toMatchObject({ aborted: 0 })
    const reqs = await (await fetch(`${emu.url}/__emu/requests`)).json()
    expect(reqs.some((r: { path: string }) => r.path.startsWith('/__emu'))).toBe(false)
  })

  it('main.ts prints its URL and exits when stdin closes', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--exit-on-stdin-close'])
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout }).once('line', resolve),
    )
    const { url, pid } = JSON.parse(line)
    expect(pid).toBe(child.pid)
    expect((await fetch(`${url}/__emu/stats`)).status).toBe(200)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.stdin.end()
    expect(await exited).toBe(0)
  })
})
