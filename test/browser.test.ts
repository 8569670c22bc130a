/**
 * Issue 6 end to end: the browser (PKCE + loopback callback) sign-in through real CLI
 * processes, a real detached listener and the emulator. Each world gets its own callback ports
 * (CHATGPT_CODEX_CALLBACK_PORTS) so parallel files and a busy 1455/1457 never collide.
 */
import { createHash } from 'node:crypto'
import { statSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  alive,
  browserGet,
  freePorts,
  occupy,
  readPendingFile,
  waitFor,
} from './helpers/browser.js'
import { world, type World } from './helpers/harness.js'
import { leakScan, record, trackSecrets } from './helpers/leaks.js'

const s256 = (v: string) => createHash('sha256').update(v).digest('base64url')
/** Every verifier a test saw on disk: the scan checks no output carries one. */
const verifiers: string[] = []
trackSecrets(() => verifiers)
/** Every listener PID seen, to prove none is left at the end. */
const pids = new Set<number>()
const worlds: World[] = []

async function browserWorld(env: Record<string, string> = {}) {
  const ports = await freePorts(2)
  const w = await world({ env: { CHATGPT_CODEX_CALLBACK_PORTS: ports.join(','), ...env } })
  worlds.push(w)
  return { w, ports }
}

/** `start --method browser`, remembering the verifier (for the scan) and the listener PID. */
async function startBrowser(w: World, extra: string[] = []) {
  const r = await w.cli(['start', '--method', 'browser', ...extra])
  const p = readPendingFile(w.home)
  if (p?.code_verifier) verifiers.push(p.code_verifier)
  if (p?.listener?.pid) pids.add(p.listener.pid)
  return { r, p: p! }
}

const requestsSince = (w: World, n: number) =>
  w.emu.requests.slice(n).map((r) => `${r.method} ${r.path}`)

afterAll(async () => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  await Promise.all(worlds.map((w) => w.close()))
})

describe('browser sign-in through the listener', () => {
  it('start builds the 0.169.0 authorize URL, persists verifier and state 0600, binds the first port, sends nothing', async () => {
    const { w, ports } = await browserWorld()
    const n = w.emu.requests.length
    const t0 = performance.now()
    const { r, p } = await startBrowser(w)
    const startMs = performance.now() - t0
    expect(r.json).toMatchObject({
      ok: true,
      status: 'pending',
      method: 'browser',
      listener: { port: ports[0], running: true },
    })
    expect(r.json.pending_id).toMatch(/^pl_/)
    expect(requestsSince(w, n)).toEqual([])

    const url = new URL(r.json.authorize_url)
    expect(`${url.origin}${url.pathname}`).toBe(`${w.emu.issuer}/oauth/authorize`)
    expect([...url.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'code_challenge',
      'code_challenge_method',
      'state',
      'scope',
      'id_token_add_organizations',
      'codex_cli_simplified_flow',
      'originator',
    ])
    const q = Object.fromEntries(url.searchParams)
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      redirect_uri: `http://127.0.0.1:${ports[0]}/auth/callback`,
      code_challenge_method: 'S256',
      scope: 'openid profile email offline_access api.connectors.read api.connectors.invoke',
      id_token_add_organizations: 'true',
      codex_cli_simplified_flow: 'true',
      originator: 'codex_cli_rs',
    })
    expect(r.json.authorize_url).toContain('scope=openid+profile+email')
    // State: 32 random bytes (>= 128 bits); challenge = S256(verifier); the verifier is not in the URL.
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.state).toBe(q.state)
    expect(p.code_verifier).toMatch(/^[A-Za-z0-9_-]{86}$/)
    expect(q.code_challenge).toBe(s256(p.code_verifier))
    expect(r.stdout).not.toContain(p.code_verifier)
    expect(statSync(join(w.home, 'pending.json')).mode & 0o777).toBe(0o600)
    expect(p.listener.port).toBe(ports[0])
    expect(alive(p.listener.pid)).toBe(true)
    // Reused while live, with the same listener.
    const again = await w.cli(['start', '--method', 'browser'])
    expect(again.json).toMatchObject({ reused: true, authorize_url: r.json.authorize_url })
    // logout stops it (the rest of the file checks that no listener outlives its test).
    expect((await w.cli(['logout'])).json).toMatchObject({ ok: true })
    expect(alive(p.listener.pid)).toBe(false)
    record({ measure: 'browser start (spawn + handshake) ms', value: Math.round(startMs) })
    console.log(`browser start incl. listener handshake: ${Math.round(startMs)} ms`)
  })

  it('browser GET of the authorize URL, redirect followed to the listener, then poll: connected with no request', async () => {
    const { w } = await browserWorld()
    const { r, p } = await startBrowser(w)
    const auth = await browserGet(r.json.authorize_url)
    expect(auth.status).toBe(302)
    expect(auth.location).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${p.listener.port}/auth/callback\\?code=`),
    )
    const t0 = performance.now()
    const page = await browserGet(auth.location!)
    const callbackMs = performance.now() - t0
    expect(page.status).toBe(200)
    expect(page.body).toContain('Signed in to ChatGPT')
    expect(page.body).not.toMatch(/<script/i)
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'/)
    // The listener exits once the page is sent.
    const exitMs = await waitFor(() => !alive(p.listener.pid))
    // The exchange was form-encoded with the verifier and the same redirect_uri (the emulator checks both).
    const exchange = w.emu.requests.filter((x) => x.path === '/oauth/token')
    expect(exchange).toHaveLength(1)
    expect(exchange[0]!.headers['content-type']).toContain('application/x-www-form-urlencoded')
    expect(w.emu.stats.exchanges).toBe(1)

    const n = w.emu.requests.length
    const polled = await w.cli(['poll'])
    expect(polled.json).toMatchObject({
      ok: true,
      status: 'connected',
      method: 'browser',
      account: { email: w.emu.account.email },
    })
    expect(requestsSince(w, n)).toEqual([])
    const st = await w.cli(['status'])
    expect(st.json).toMatchObject({ ok: true, status: 'connected' })
    expect(existsSync(join(w.home, 'pending.json'))).toBe(false)
    // A replay of the callback URL finds nobody listening.
    await expect(fetch(auth.location!)).rejects.toThrow()
    console.log(
      `callback page ${Math.round(callbackMs)} ms (exchange + store + registry); listener gone ${exitMs} ms after`,
    )
  })

  it('falls back to the second port when the first is busy; redirect_uri names the bound port', async () => {
    const { w, ports } = await browserWorld()
    const blocker = await occupy(ports[0]!)
    try {
      const { r, p } = await startBrowser(w)
      expect(r.json.listener).toEqual({ port: ports[1], running: true })
      expect(new URL(r.json.authorize_url).searchParams.get('redirect_uri')).toBe(
        `http://127.0.0.1:${ports[1]}/auth/callback`,
      )
      const auth = await browserGet(r.json.authorize_url)
      expect((await browserGet(auth.location!)).status).toBe(200)
      await waitFor(() => !alive(p.listener.pid))
      expect((await w.cli(['poll'])).json).toMatchObject({ ok: true, status: 'connected' })
      expect(blocker.hits).toEqual([]) // unlike the Codex CLI, no /cancel sent to someone else's server
    } finally {
      await blocker.close()
    }
  })

  it('a wrong state is refused (400) and the listener keeps waiting for the right one', async () => {
    const { w } = await browserWorld()
    const { r, p } = await startBrowser(w)
    const auth = await browserGet(r.json.authorize_url)
    const forged = new URL(auth.location!)
    forged.searchParams.set('state', 'A'.repeat(43))
    const bad = await browserGet(forged.href)
    expect(bad.status).toBe(400)
    expect(bad.body).toContain('State mismatch')
    const noState = new URL(auth.location!)
    noState.searchParams.delete('state')
    expect((await browserGet(noState.href)).status).toBe(400)
    expect(w.emu.count('POST /oauth/token')).toBe(0)
    expect(alive(p.listener.pid)).toBe(true)
    expect((await w.cli(['poll'])).json).toMatchObject({
      ok: true,
      status: 'pending',
      listener: { running: true },
    })
    expect((await browserGet(auth.location!)).status).toBe(200)
    await waitFor(() => !alive(p.listener.pid))
    expect((await w.cli(['poll'])).json).toMatchObject({ ok: true, status: 'connected' })
  })

  it('renders a hostile error_description inert; poll then reports access_denied', async () => {
    const { w } = await browserWorld()
    const hostile = `<script>alert(1)</script><img src=x onerror="alert(2)"><a href='javascript:x'>x</a>`
    w.emu.set({ authorize: 'deny', authorizeErrorDescription: hostile })
    const { r, p } = await startBrowser(w)
    const auth = await browserGet(r.json.authorize_url)
    expect(auth.location).toContain('error=access_denied')
    const page = await browserGet(auth.location!)
    expect(page.status).toBe(400)
    expect(page.body).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;',
    )
    expect(page.body).not.toMatch(/<script|<img|<a |onerror="|javascript:x'>/i)
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/,
    )
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    await waitFor(() => !alive(p.listener.pid))
    const polled = await w.cli(['poll'])
    expect(polled.json).toMatchObject({ ok: false, code: 'access_denied' })
    expect(polled.stdout).not.toContain('<script')
    expect(w.emu.count('POST /oauth/token')).toBe(0)
    expect((await w.cli(['poll'])).json).toMatchObject({ ok: false, code: 'no_pending_login' })
  })
})

describe('paste fallback (callback --url)', () => {
  it('with both callback ports occupied: listener null, paste instructions, then callback --url connects', async () => {
    const { w, ports } = await browserWorld()
    const blockers = await Promise.all(ports.map((p) => occupy(p)))
    try {
      const { r, p } = await startBrowser(w)
      expect(r.json).toMatchObject({
        ok: true,
        status: 'pending',
        method: 'browser',
        listener: null,
      })
      expect(r.json.hint).toContain('callback --url')
      expect(p.listener).toBeNull()
      // The redirect still names the first allowed port; the browser's page there fails (here: our blocker).
      expect(new URL(r.json.authorize_url).searchParams.get('redirect_uri')).toBe(
        `http://127.0.0.1:${ports[0]}/auth/callback`,
      )
      const polledEarly = await w.cli(['poll'])
      expect(polledEarly.json).toMatchObject({ ok: true, status: 'pending', listener: null })
      expect(polledEarly.json.hint).toContain('callback --url')

      const auth = await browserGet(r.json.authorize_url)
      const n = w.emu.requests.length
      const done = await w.cli(['callback', '--url', auth.location!])
      expect(done.json).toMatchObject({
        ok: true,
        status: 'connected',
        method: 'browser',
        account: { email: w.emu.account.email },
      })
      expect(requestsSince(w, n)[0]).toBe('POST /oauth/token')
      expect(done.stdout).not.toContain(new URL(auth.location!).searchParams.get('code')!)
      expect((await w.cli(['status'])).json).toMatchObject({ status: 'connected' })
      expect(blockers.flatMap((b) => b.hits)).toEqual([])
    } finally {
      await Promise.all(blockers.map((b) => b.close()))
    }
  })

  it('accepts a pasted URL without its scheme; a URL with error=access_denied gives access_denied', async () => {
    const { w } = await browserWorld()
    const { r } = await startBrowser(w, ['--force'])
    const auth = await browserGet(r.json.authorize_url)
    const bare = auth.location!.replace(/^http:\/\//, '')
    expect((await w.cli(['callback', '--url', bare])).json).toMatchObject({
      ok: true,
      status: 'connected',
    })

    w.emu.set({ authorize: 'deny' })
    const { r: r2, p: p2 } = await startBrowser(w, ['--force'])
    const denied = await browserGet(r2.json.authorize_url)
    const res = await w.cli(['callback', '--url', denied.location!])
    expect(res.json).toMatchObject({ ok: false, code: 'access_denied' })
    // The listener of that attempt was stopped, and the pending login is gone.
    expect(alive(p2.listener.pid)).toBe(false)
    expect(readPendingFile(w.home)).toBeUndefined()
  })

  it('a wrong state gives state_mismatch; a replayed (already redeemed) code is refused and stores nothing', async () => {
    const { w } = await browserWorld()
    const blockers = await Promise.all((await freePorts(0)).map((p) => occupy(p)))
    const { r } = await startBrowser(w)
    const auth = await browserGet(r.json.authorize_url)
    const wrong = new URL(auth.location!)
    wrong.searchParams.set('state', 'x'.repeat(43))
    const mm = await w.cli(['callback', '--url', wrong.href])
    expect(mm.json).toMatchObject({ ok: false, code: 'state_mismatch' })
    expect(mm.code).toBe(1)
    expect(w.emu.count('POST /oauth/token')).toBe(0)

    // Someone else redeems the code first (an intercepted redirect; wrong verifier: PKCE refuses it,
    // and the code is spent either way).
    const code = new URL(auth.location!).searchParams.get('code')!
    const stolen = await fetch(`${w.emu.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: new URL(r.json.authorize_url).searchParams.get('redirect_uri')!,
        client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
        code_verifier: 'not-the-verifier-'.padEnd(60, 'x'),
      }),
    })
    expect(stolen.status).toBe(400)
    expect(await stolen.text()).toContain('PKCE verification failed')

    const replay = await w.cli(['callback', '--url', auth.location!])
    expect(replay.json).toMatchObject({ ok: false, code: 'upstream_error' })
    expect(replay.json.error).toContain('already used')
    expect(existsSync(join(w.home, 'credentials.json'))).toBe(false)
    expect((await w.cli(['status'])).json).toMatchObject({ status: 'pending', method: 'browser' })

    // Opening the link again gives a new code for the same login, which works once.
    const again = await browserGet(r.json.authorize_url)
    expect((await w.cli(['callback', '--url', again.location!])).json).toMatchObject({
      ok: true,
      status: 'connected',
    })
    expect((await w.cli(['callback', '--url', again.location!])).json).toMatchObject({
      ok: false,
      code: 'no_pending_login',
    })
    expect(w.emu.stats.exchanges).toBe(1)
    await Promise.all(blockers.map((b) => b.close()))
  })
})

describe('listener lifetime', () => {
  it('exits by itself at the deadline, frees its port, leaves no orphan; poll then says expired', async () => {
    const ttl = 2_000
    const { w, ports } = await browserWorld({ CHATGPT_CODEX_BROWSER_TTL_MS: String(ttl) })
    const { r, p } = await startBrowser(w)
    expect(r.json.listener).toMatchObject({ port: ports[0] })
    const deadline = p.expires_at
    await waitFor(() => !alive(p.listener.pid), ttl + 5_000)
    const lateMs = Date.now() - deadline
    expect(lateMs).toBeLessThan(1_000)
    const blocker = await occupy(ports[0]!) // the port is free again
    await blocker.close()
    expect((await w.cli(['poll'])).json).toMatchObject({ ok: false, code: 'device_code_expired' })
    expect((await w.cli(['status'])).json).toMatchObject({ status: 'disconnected' })
    console.log(`listener exited ${lateMs} ms after its deadline`)
  })

  it('logout and start --force stop the listener (only after it proves it is ours)', async () => {
    const { w, ports } = await browserWorld()
    const first = await startBrowser(w)
    const second = await startBrowser(w, ['--force'])
    expect(alive(first.p.listener.pid)).toBe(false)
    expect(second.p.listener).toMatchObject({ port: ports[0] }) // the old one freed the port first
    expect(second.p.pending_id).not.toBe(first.p.pending_id)
    // The first attempt's redirect now hits the new listener: its state does not match.
    const out = await w.cli(['logout'])
    expect(out.json).toMatchObject({ ok: true, status: 'disconnected' })
    expect(alive(second.p.listener.pid)).toBe(false)
    expect(readPendingFile(w.home)).toBeUndefined()
  })

  it('status and doctor report a listener whose process is gone; poll points to the paste fallback', async () => {
    const { w } = await browserWorld()
    const { p } = await startBrowser(w)
    process.kill(p.listener.pid, 'SIGKILL')
    await waitFor(() => !alive(p.listener.pid))
    const st = await w.cli(['status'])
    expect(st.json).toMatchObject({
      ok: true,
      status: 'pending',
      method: 'browser',
      listener: { running: false },
    })
    expect(st.json.hint).toContain('callback --url')
    const doc = await w.cli(['doctor'])
    const ids = (doc.json.findings as { id: string }[]).map((f) => f.id)
    expect(ids).toContain('listener_gone')
    const polled = await w.cli(['poll'])
    expect(polled.json).toMatchObject({ ok: true, status: 'pending' })
    expect(polled.json.hint).toContain('callback --url')
    // The paste still finishes it.
    const auth = await browserGet(readPendingFile(w.home)!.authorize_url)
    expect((await w.cli(['callback', '--url', auth.location!])).json).toMatchObject({
      ok: true,
      status: 'connected',
    })
  })

  it('no listener process is left behind by this file', () => {
    expect([...pids].filter(alive)).toEqual([])
    expect(pids.size).toBeGreaterThan(5)
  })
})

leakScan(import.meta.url)
