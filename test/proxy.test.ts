/**
 * Issue 20 item 1: HTTPS_PROXY / HTTP_PROXY / NO_PROXY, end to end. The real CLI and the real
 * gateway run as child processes against the emulator with a real loopback proxy (npm `proxy`)
 * in between; the proxy counts every CONNECT. The emulator is plain http on 127.0.0.1, so its
 * traffic follows HTTP_PROXY (undici tunnels it with CONNECT), and loopback is not exempt.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { proxyFailure, proxyFor, readProxyEnv, showProxy } from '../src/proxy.js'
import { redact } from '../src/redact.js'
import { world, type World } from './helpers/harness.js'
import { leakScan, record, trackSecrets } from './helpers/leaks.js'
import { closedPort, startProxy, type TestProxy } from './helpers/proxy.js'

const USER = 'corp-user'
const PASSWORD = 'Pr0xy-Passw0rd-never-printed-9f3k2'
trackSecrets(() => [
  PASSWORD,
  `${USER}:${PASSWORD}`,
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
])

/** CONNECTs the proxy received while `fn` ran, and its result. */
async function tunnelsDuring<T>(p: TestProxy, fn: () => Promise<T>): Promise<[T, string[]]> {
  const before = p.connects.length
  const out = await fn()
  return [out, p.connects.slice(before)]
}

describe('the CLI through a proxy', () => {
  let p: TestProxy
  let w: World
  let emu = ''
  beforeAll(async () => {
    p = await startProxy()
    w = await world({ env: { HTTP_PROXY: p.url } })
    emu = new URL(w.emu.url).host
  })
  afterAll(async () => {
    await w.close()
    await p.close()
  })

  it('signs in (start, poll), refreshes, lists models, reads usage, verifies and revokes through it', async () => {
    w.emu.set({ interval: '0' })
    const [s, t1] = await tunnelsDuring(p, () => w.cli(['start']))
    expect(s.json).toMatchObject({ ok: true, status: 'pending' })
    expect(t1).toEqual([emu])
    w.emu.approve()
    const [poll, t2] = await tunnelsDuring(p, () => w.cli(['poll']))
    expect(poll.json).toMatchObject({ ok: true, status: 'connected' })
    expect(t2.length).toBeGreaterThanOrEqual(1)
    expect(w.emu.count('exchange')).toBe(1)

    const refreshes = w.emu.count('refresh')
    const [rf, t3] = await tunnelsDuring(p, () => w.cli(['refresh']))
    expect(rf.json).toMatchObject({ ok: true, refreshed: true })
    expect(w.emu.count('refresh')).toBe(refreshes + 1)
    expect(t3.length).toBeGreaterThanOrEqual(1)

    for (const args of [
      ['models', '--force'],
      ['usage', '--force'],
      ['verify'],
      ['doctor', '--online'],
    ]) {
      const [r, t] = await tunnelsDuring(p, () => w.cli(args))
      expect(r.json, args[0]).toMatchObject({ ok: true })
      expect(t.length, args[0]).toBeGreaterThanOrEqual(1)
    }
    const models = await w.cli(['models'])
    expect(models.json.source).not.toBe('fallback')

    // Every tunnel went to the emulator, never anywhere else; the proxy saw no plain request.
    expect(new Set(p.connects)).toEqual(new Set([emu]))
    expect(p.requests).toEqual([])
  })

  it('follows the lowercase form as well', async () => {
    const [u, t] = await tunnelsDuring(p, () =>
      w.cli(['usage', '--force'], { HTTP_PROXY: undefined, http_proxy: p.url }),
    )
    expect(u.json).toMatchObject({ ok: true })
    expect(t).toEqual([emu])
  })

  it('goes direct to a host NO_PROXY names, and only to that one', async () => {
    const n = w.emu.count('GET /backend-api/wham/usage')
    for (const noProxy of ['127.0.0.1', `127.0.0.1:${new URL(w.emu.url).port}`, '*']) {
      const [u, t] = await tunnelsDuring(p, () =>
        w.cli(['usage', '--force'], { NO_PROXY: noProxy }),
      )
      expect(u.json, noProxy).toMatchObject({ ok: true })
      expect(t, noProxy).toEqual([])
    }
    expect(w.emu.count('GET /backend-api/wham/usage')).toBe(n + 3)
    // Another port of the same host is not named: still proxied.
    const [u, t] = await tunnelsDuring(p, () =>
      w.cli(['usage', '--force'], { no_proxy: '127.0.0.1:1' }),
    )
    expect(u.json).toMatchObject({ ok: true })
    expect(t).toEqual([emu])
  })

  it('doctor names the proxy in use for each service', async () => {
    const d = await w.cli(['doctor'], { NO_PROXY: 'auth.example' })
    expect(d.json.proxy).toEqual({
      https_proxy: null,
      http_proxy: p.url,
      no_proxy: 'auth.example',
      routes: { issuer: `${p.url} (HTTP_PROXY)`, backend: `${p.url} (HTTP_PROXY)` },
    })
    const direct = await w.cli(['doctor'], { HTTP_PROXY: undefined })
    expect(direct.json.proxy).toBeNull()
  })

  it('logout revokes through it', async () => {
    const [lo, t] = await tunnelsDuring(p, () => w.cli(['logout']))
    expect(lo.json).toMatchObject({ ok: true, revoked: true })
    expect(t.length).toBeGreaterThanOrEqual(1)
  })
})

describe('basic auth, and the gateway upstream through the proxy', () => {
  let p: TestProxy
  let w: World
  let gw: Record<string, any>
  let proxied = ''
  beforeAll(async () => {
    p = await startProxy({ auth: { user: USER, password: PASSWORD } })
    proxied = `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${p.port}`
    w = await world({ env: { HTTPS_PROXY: 'http://unused.invalid:1', HTTP_PROXY: proxied } })
    await w.signIn()
  })
  afterAll(async () => {
    await w.cli(['serve', '--stop'])
    record(readFileSync(join(w.home, 'gateway.log'), 'utf8'))
    await w.close()
    await p.close()
  })

  it('sends the credentials to the proxy and shows them nowhere', async () => {
    expect(p.auths.length).toBeGreaterThanOrEqual(2)
    const header = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`
    expect(new Set(p.auths)).toEqual(new Set([header]))
    const d = await w.cli(['doctor'])
    expect(d.json.proxy.http_proxy).toBe(`http://***@127.0.0.1:${p.port}`)
    expect(d.json.proxy.routes.backend).toBe(`http://***@127.0.0.1:${p.port} (HTTP_PROXY)`)
    expect(d.stdout).not.toContain(USER)
  })

  it('a wrong password: proxy_error 407, naming the proxy without its credentials', async () => {
    const wrong = `http://${USER}:not-${encodeURIComponent(PASSWORD)}@127.0.0.1:${p.port}`
    const r = await w.cli(['refresh'], { HTTP_PROXY: wrong })
    expect(r.json).toMatchObject({
      ok: false,
      code: 'proxy_error',
      retryable: false,
      proxy: `http://***@127.0.0.1:${p.port}`,
      proxy_status: 407,
    })
    expect(r.json.hint).toContain(`http://***@127.0.0.1:${p.port}`)
    expect(r.json.hint).toContain('HTTP_PROXY')
    expect(r.stdout + r.stderr).not.toContain(USER)
  })

  it('the gateway reaches the backend through the proxy; its own listener is never proxied', async () => {
    const s = await w.cli(['serve', '--detach', '--port', '0'])
    expect(s.json).toMatchObject({ ok: true, status: 'running' })
    gw = s.json
    const key = JSON.parse(readFileSync(gw.key_file, 'utf8')).key
    trackSecrets(() => [key])
    const before = p.connects.length
    const n = w.emu.count('POST /backend-api/codex/responses')
    const res = await fetch(`${gw.url}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai-codex/gpt-5.5', input: 'Hi' }),
    })
    const body = await res.json()
    record(body)
    expect(res.status).toBe(200)
    expect(w.emu.count('POST /backend-api/codex/responses')).toBe(n + 1)
    expect(p.connects.length).toBeGreaterThan(before)
    const gwHost = new URL(gw.url).host
    expect(p.connects).not.toContain(gwHost)
    expect(new Set(p.connects)).toEqual(new Set([new URL(w.emu.url).host]))
    // A second `serve --detach` asks the running gateway who it is: direct, no tunnel.
    const [again, t] = await tunnelsDuring(p, () => w.cli(['serve', '--detach', '--port', '0']))
    expect(again.json).toMatchObject({ ok: true, status: 'running' })
    expect(t).toEqual([])
  })
})

describe('a proxy that refuses', () => {
  let w: World
  let p: TestProxy
  beforeAll(async () => {
    p = await startProxy({ refuse: () => true })
    w = await world()
    await w.signIn()
  })
  afterAll(async () => {
    await w.close()
    await p.close()
  })

  it('403 on CONNECT: proxy_error, not retryable, the hint names the proxy and NO_PROXY', async () => {
    for (const cmd of ['usage', 'verify', 'refresh']) {
      const r = await w.cli([cmd], { HTTP_PROXY: p.url })
      expect(r.json, cmd).toMatchObject({
        ok: false,
        code: 'proxy_error',
        retryable: false,
        proxy: p.url,
        proxy_status: 403,
      })
      expect(r.json.error).toContain(new URL(w.emu.url).host)
      expect(r.json.hint).toContain(p.url)
      expect(r.json.hint).toContain('NO_PROXY')
      expect(r.code).toBe(1)
    }
  })

  it('407 (credentials wanted, none given): proxy_error naming the variable to fix', async () => {
    const q = await startProxy({ auth: { user: USER, password: PASSWORD } })
    try {
      const r = await w.cli(['usage', '--force'], { HTTP_PROXY: q.url })
      expect(r.json).toMatchObject({ ok: false, code: 'proxy_error', proxy_status: 407 })
      expect(r.json.hint).toContain('HTTP_PROXY')
    } finally {
      await q.close()
    }
  })

  it('nothing listening: proxy_error, retryable, before any request reaches the backend', async () => {
    const port = await closedPort()
    const n = w.emu.requests.length
    const r = await w.cli(['usage', '--force'], { HTTP_PROXY: `http://127.0.0.1:${port}` })
    expect(r.json).toMatchObject({
      ok: false,
      code: 'proxy_error',
      retryable: true,
      proxy: `http://127.0.0.1:${port}`,
    })
    expect(r.json.error).toContain('ECONNREFUSED')
    expect(w.emu.requests.length).toBe(n)
  })

  it('the gateway answers 502 proxy_error when its upstream proxy refuses', async () => {
    const s = await w.cli(['serve', '--detach', '--port', '0'], { HTTP_PROXY: p.url })
    expect(s.json).toMatchObject({ ok: true, status: 'running' })
    try {
      const key = JSON.parse(readFileSync(s.json.key_file, 'utf8')).key
      trackSecrets(() => [key])
      const res = await fetch(`${s.json.url}/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.5', input: 'Hi' }),
      })
      const body = (await res.json()) as { error: Record<string, unknown> }
      record(body)
      expect(res.status).toBe(502)
      expect(body.error).toMatchObject({ code: 'proxy_error', proxy: p.url, proxy_status: 403 })
    } finally {
      await w.cli(['serve', '--stop'])
    }
  })

  it('a proxy variable that is not an http(s) URL: invalid_config, value not shown', async () => {
    const r = await w.cli(['status'], { HTTPS_PROXY: `socks5://${USER}:${PASSWORD}@127.0.0.1:1` })
    expect(r.json).toMatchObject({ ok: false, code: 'invalid_config' })
    expect(r.json.error).toContain('HTTPS_PROXY')
    expect(r.stdout).not.toContain(USER)
  })
})

describe('proxy rules (units)', () => {
  const env = (vars: Record<string, string>) => readProxyEnv((k) => vars[k])!

  it('NO_PROXY matches a host, its subdomains, a port when named; * matches all', () => {
    const e = env({ HTTPS_PROXY: 'http://p:3128', NO_PROXY: '.openai.com, localhost:8080' })
    expect(proxyFor('https://auth.openai.com/oauth/token', e)?.shown).toBeUndefined()
    expect(proxyFor('https://openai.com/', e)).toBeUndefined()
    expect(proxyFor('https://chatgpt.com/backend-api', e)?.shown).toBe('http://p:3128')
    expect(proxyFor('http://localhost:8080/', e)).toBeUndefined()
    // No HTTP_PROXY: http targets go direct, as undici does.
    expect(proxyFor('http://localhost:9/', e)).toBeUndefined()
    expect(proxyFor('https://x.y/', env({ HTTPS_PROXY: 'p:1', NO_PROXY: '*' }))).toBeUndefined()
    expect(proxyFor('http://127.0.0.1:1/', env({ HTTP_PROXY: 'p:1' }))?.from).toBe('HTTP_PROXY')
    // HTTP_PROXY serves https targets too when HTTPS_PROXY is unset.
    expect(proxyFor('https://chatgpt.com/', env({ HTTP_PROXY: 'p:1' }))?.href).toBe('http://p:1/')
  })

  it('the lowercase form wins; no proxy variable means no proxy settings', () => {
    const e = env({ https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:1' })
    expect(e.https).toMatchObject({ from: 'https_proxy', shown: 'http://low:1' })
    expect(readProxyEnv((k) => ({ NO_PROXY: 'x' })[k])).toBeUndefined()
  })

  it("maps the proxy refusals undici reports; leaves the target's own failures alone", () => {
    const via = env({ HTTPS_PROXY: `http://${USER}:${PASSWORD}@proxy.corp:3128` }).https!
    const target = 'https://chatgpt.com/backend-api/wham/usage'
    const bad = proxyFailure(
      new Error('Proxy response (502) !== 200 when HTTP Tunneling'),
      target,
      via,
    )
    expect(bad).toMatchObject({ code: 'proxy_error', retryable: true })
    expect(bad?.extra).toEqual({ proxy: 'http://***@proxy.corp:3128', proxy_status: 502 })
    expect(bad?.message).toBe(
      'The proxy http://***@proxy.corp:3128 refused the connection to chatgpt.com (HTTP 502)',
    )
    const down = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
      port: 3128,
    })
    expect(proxyFailure(down, target, via)?.code).toBe('proxy_error')
    const elsewhere = Object.assign(new Error('x'), { code: 'ECONNREFUSED', port: 443 })
    expect(proxyFailure(elsewhere, target, via)).toBeUndefined()
    expect(proxyFailure(new Error('other side closed'), target, via)).toBeUndefined()
  })

  it('shows a proxy as scheme://host:port with *** for credentials', () => {
    expect(showProxy(new URL('http://u:p@[::1]:8080/'))).toBe('http://***@[::1]:8080')
    expect(showProxy(new URL('https://proxy.corp'))).toBe('https://proxy.corp:443')
    expect(showProxy(new URL('http://proxy.corp'))).toBe('http://proxy.corp:80')
    expect(redact(`connect via http://${USER}:x@h:1 failed`)).toBe(
      'connect via http://***@h:1 failed',
    )
  })
})

leakScan('proxy')
