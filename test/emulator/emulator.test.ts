/** The emulator itself: the protocol facts the rest of the suite relies on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from './index.js'
import { s256 } from './tokens.js'

const CID = 'app_EMoamEEZ73f0CkXaXp7hrann'
let emu: Emulator
const post = (path: string, body: unknown, form = false) =>
  fetch(emu.url + path, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  })

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())

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
  return { uc, ok, form, tokens: await (await post('/oauth/token', form, true)).json() }
}

describe('emulator', () => {
  it('sends interval as a string and 403 while pending', async () => {
    const uc = await (await post('/api/accounts/deviceauth/usercode', { client_id: CID })).json()
    expect(typeof uc.interval).toBe('string')
    expect((await post('/api/accounts/deviceauth/token', uc)).status).toBe(403)
  })

  it('verifies PKCE and refuses a replayed code or a JSON exchange', async () => {
    const { ok, form, tokens } = await deviceTokens()
    expect(s256(ok.code_verifier)).toBe(ok.code_challenge)
    expect(tokens.refresh_token).toMatch(/^rt_/)
    expect((await post('/oauth/token', form, true)).status).toBe(400)
    expect((await post('/oauth/token', form)).status).toBe(400)
  })

  it('rotates refresh tokens and detects reuse', async () => {
    const { tokens } = await deviceTokens()
    const body = { client_id: CID, grant_type: 'refresh_token', refresh_token: tokens.refresh_token }
    expect((await post('/oauth/token', body)).status).toBe(200)
    const again = await post('/oauth/token', body)
    expect(again.status).toBe(401)
    expect((await again.json()).error.code).toBe('refresh_token_reused')
    expect(emu.stats.reuse).toBe(1)
  })

  it('revoked tokens refresh as invalidated; backend wants a live token', async () => {
    const { tokens } = await deviceTokens()
    await post('/oauth/revoke', { token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: CID })
    const r = await post('/oauth/token', { client_id: CID, grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
    expect((await r.json()).error.code).toBe('refresh_token_invalidated')
    expect((await fetch(`${emu.backendUrl}/wham/usage`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
  })

  it('streams a response and rejects store:true', async () => {
    const { tokens } = await deviceTokens()
    const headers = {
      authorization: `Bearer ${tokens.access_token}`,
      'chatgpt-account-id': emu.account.account_id,
      'content-type': 'application/json',
    }
    const body = { model: 'gpt-5.5', instructions: 'x', input: [], store: false, stream: true }
    const ok = await fetch(`${emu.backendUrl}/codex/responses`, { method: 'POST', headers, body: JSON.stringify(body) })
    expect(ok.headers.get('x-codex-primary-used-percent')).toBe('12.0')
    expect(await ok.text()).toContain('response.completed')
    const bad = await fetch(`${emu.backendUrl}/codex/responses`, { method: 'POST', headers, body: JSON.stringify({ ...body, store: true }) })
    expect(await bad.json()).toEqual({ detail: 'Store must be set to false' })
  })

  it('is driven over HTTP by other processes', async () => {
    await post('/__emu/set', { usercode: 'disabled' })
    expect((await post('/api/accounts/deviceauth/usercode', { client_id: CID })).status).toBe(404)
    await post('/__emu/set', { usercode: 'ok' })
    const stats = await (await fetch(`${emu.url}/__emu/stats`)).json()
    expect(stats.counts['POST /api/accounts/deviceauth/usercode']).toBeGreaterThan(0)
  })
})
