/**
 * Issue 11: the page's one-time codes and session cookies, and the static page's headers, over
 * real loopback HTTP (the browser test drives the same code through a real gateway process).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CODE_TTL_MS, createUiSessions, type UiSessions } from '../src/gateway/ui-session.js'
import type { Ctx } from '../src/context.js'
import { uiPublicRoute, usageRoute } from '../src/gateway/ui-routes.js'
import { SkillError } from '../src/result.js'
import { leakScan, record } from './helpers/leaks.js'

const req = (headers: Record<string, string>, method = 'GET') =>
  ({ method, headers }) as unknown as IncomingMessage

describe('one-time page codes and session cookies', () => {
  let clock = 1_800_000_000_000
  const s = createUiSessions(4321, () => clock)

  it('mints a random 256-bit code in a 127.0.0.1 URL, valid for 5 minutes', () => {
    const a = s.mint()
    const b = s.mint()
    expect(a.ui_url).toMatch(/^http:\/\/127\.0\.0\.1:4321\/ui\?code=[A-Za-z0-9_-]{43}$/)
    expect(a.ui_url).not.toBe(b.ui_url)
    expect(Date.parse(a.expires_at) - clock).toBe(CODE_TTL_MS)
  })

  it('a code works once; reused, expired and unknown codes get nothing', () => {
    const code = (u: string) => new URL(u).searchParams.get('code')!
    const first = code(s.mint().ui_url)
    expect(s.redeem(first)).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(s.redeem(first)).toBeUndefined()
    const late = code(s.mint().ui_url)
    clock += CODE_TTL_MS
    expect(s.redeem(late)).toBeUndefined()
    expect(s.redeem('not-a-code')).toBeUndefined()
  })

  it('the cookie, named for the port, authenticates GETs and same-origin POSTs only', () => {
    const value = s.redeem(new URL(s.mint().ui_url).searchParams.get('code')!)!
    const cookie = `other=1; ${s.cookieName}=${value}`
    const host = '127.0.0.1:4321'
    expect(s.cookieName).toBe('cco_ui_4321')
    expect(s.cookieAuth(req({ host }))).toBe('none')
    expect(s.cookieAuth(req({ host, cookie: `cco_ui_9999=${value}` }))).toBe('none')
    expect(s.cookieAuth(req({ host, cookie: `${s.cookieName}=forged` }))).toBe('none')
    expect(s.cookieAuth(req({ host, cookie }))).toBe('ok')
    const post = (h: Record<string, string>) => s.cookieAuth(req({ host, cookie, ...h }, 'POST'))
    expect(post({ origin: 'http://127.0.0.1:4321' })).toBe('ok')
    expect(post({ origin: 'http://127.0.0.1:4322' })).toBe('bad_origin')
    expect(post({ origin: 'http://localhost:4321' })).toBe('bad_origin') // not the Host it came to
    expect(post({ origin: 'null' })).toBe('bad_origin')
    expect(post({})).toBe('bad_origin')
  })
})

describe('the page over HTTP', () => {
  let server: Server
  let base: string
  let sessions: UiSessions
  beforeAll(async () => {
    server = createServer((rq, rs) => {
      const url = new URL(rq.url ?? '/', 'http://x')
      if (!uiPublicRoute(rq, rs, url, sessions)) rs.writeHead(404).end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    sessions = createUiSessions(port)
    base = `http://127.0.0.1:${port}`
  })
  afterAll(() => server.close())

  it('serves the page, its modules, markdown-it and the style with a strict CSP and no data', async () => {
    for (const [path, type] of [
      ['/ui', 'text/html'],
      ['/ui/app.js', 'text/javascript'],
      ['/ui/chat.js', 'text/javascript'],
      ['/ui/markdown.js', 'text/javascript'],
      ['/ui/sse.js', 'text/javascript'],
      ['/ui/usage.js', 'text/javascript'],
      ['/ui/vendor/markdown-it.js', 'text/javascript'],
      ['/ui/app.css', 'text/css'],
    ] as const) {
      const res = await fetch(base + path)
      const text = await res.text()
      record(text)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toContain(type)
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self';/)
      expect(res.headers.get('content-security-policy')).toContain("trusted-types 'none'")
      expect(res.headers.get('set-cookie')).toBeNull()
      if (path === '/ui/vendor/markdown-it.js') {
        expect(text).toMatch(/export\s*\{\s*\w+ as default\s*\}/) // the ES module build
        expect(text).not.toContain('sourceMappingURL')
        continue
      }
      expect(text).not.toMatch(/https?:\/\//) // loads nothing from elsewhere
      if (path === '/ui') expect(text).not.toMatch(/@|openai-codex\/|<script>|style=/)
      if (path.endsWith('.js'))
        expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/)
    }
  })

  it('sends the page gzipped to a browser that takes it (markdown-it: ~125 KB raw)', async () => {
    const { request } = await import('node:http')
    const get = (path: string, enc: string) =>
      new Promise<{ headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
        request(base + path, { headers: { 'accept-encoding': enc } }, (res) => {
          let bytes = 0
          res.on('data', (c: Buffer) => (bytes += c.length))
          res.on('end', () => resolve({ headers: res.headers, bytes }))
        })
          .on('error', reject)
          .end()
      })
    const raw = await get('/ui/vendor/markdown-it.js', 'identity')
    const zipped = await get('/ui/vendor/markdown-it.js', 'gzip, deflate, br')
    expect(raw.headers['content-encoding']).toBeUndefined()
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toBe('accept-encoding')
    expect(zipped.bytes).toBeLessThan(raw.bytes / 2)
  })

  it('a code sets an HttpOnly SameSite=Strict cookie and redirects to /ui; used again, a 403 page and no cookie', async () => {
    const url = sessions.mint().ui_url.replace('http://127.0.0.1:' + new URL(base).port, base)
    const ok = await fetch(url, { redirect: 'manual' })
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe('/ui')
    expect(ok.headers.get('set-cookie')).toMatch(
      new RegExp(`^${sessions.cookieName}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
    )
    const again = await fetch(url, { redirect: 'manual' })
    const text = await again.text()
    record(text)
    expect(again.status).toBe(403)
    expect(again.headers.get('set-cookie')).toBeNull()
    expect(again.headers.get('content-type')).toContain('text/plain')
    expect(text).toContain('serve --ui-url')
  })
})

describe('GET /v1/ui/usage', () => {
  const view = {
    plan: 'pro',
    limit_reached: false,
    windows: [{ label: '5h', used_percent: 12, window_minutes: 300, resets_at: null }],
    credits: { has_credits: false, unlimited: false, balance: null },
    other_limits: [],
    fetched_at: '2026-12-03T00:00:00.000Z',
    usage_source: 'live' as const,
  }
  const serve = async (load: Parameters<typeof usageRoute>[2]) => {
    const ctx = {} as Ctx // one gateway's context: its loads in flight are shared
    const seen = { requests: 0 }
    const server = createServer((_rq, rs) => {
      seen.requests++
      void usageRoute(rs, ctx, load)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
  }

  it('page loads at the same moment share one usage load; the bars get plan, windows and age', async () => {
    let loads = 0
    const waiting: (() => void)[] = []
    const { server, seen, url } = await serve(async () => {
      loads++
      await new Promise<void>((r) => waiting.push(r))
      return view
    })
    const both = Promise.all([fetch(url), fetch(url)])
    // Both requests are in before the load finishes (polled, not slept).
    for (let i = 0; i < 500 && seen.requests < 2; i++) await new Promise((r) => setTimeout(r, 10))
    waiting.forEach((r) => r())
    const bodies = await Promise.all((await both).map((r) => r.json()))
    expect(loads).toBe(1)
    expect(bodies[0]).toEqual({
      plan: 'pro',
      limit_reached: false,
      windows: view.windows,
      fetched_at: view.fetched_at,
      source: 'live',
    })
    expect(bodies[1]).toEqual(bodies[0])
    server.close()
  })

  it('a failure answers in the gateway error envelope (signed out: 401 not_signed_in)', async () => {
    const { server, url } = await serve(async () => {
      throw new SkillError('not_signed_in', 'Not signed in')
    })
    const res = await fetch(url)
    expect(res.status).toBe(401)
    expect((await res.json()).error).toMatchObject({ code: 'not_signed_in' })
    server.close()
  })
})

leakScan(import.meta.url)
