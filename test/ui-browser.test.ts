/**
 * Issue 11 in a real browser: headless Debian chromium driven by playwright-core (pinned in test/clients/), against a real
 * gateway process (`serve --detach`) and the emulator, with sign-in, logout and `serve --ui-url`
 * run as other CLI processes. The page must follow the sign-in with no reload, switch with
 * `/model`, stream an answer, and refuse a reused link and a cross-origin cookie POST.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer, get, type ClientRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { world, type World } from './helpers/harness.js'
import { leakScan, record, recordAllowed, trackSecrets } from './helpers/leaks.js'
import {
  launchChromium,
  SKIP_BROWSER,
  type Browser,
  type BrowserContext,
  type GatewayInfo,
  type Page,
} from './helpers/ui-page.js'

// CI installs chromium (.ci/run); elsewhere a missing browser skips this file, saying how to fix it.
const SKIP = SKIP_BROWSER
if (SKIP) {
  console.warn(
    'ui-browser.test.ts skipped: no /usr/bin/chromium. Install it with: sudo apt-get update && sudo apt-get install -y chromium',
  )
}
const SCREENSHOT = fileURLToPath(new URL('../test-results/ui.png', import.meta.url))

/** One-time codes minted in this file: secrets everywhere except the serve result carrying them. */
const codes: string[] = []
const codeOf = (url: string) => new URL(url).searchParams.get('code') ?? ''

/** A tiny server on another origin, serving one HTML page. */
async function otherOrigin(): Promise<{ port: number; server: Server; html: (h: string) => void }> {
  let body = ''
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, server, html: (h) => void (body = h) }
}

describe.skipIf(SKIP)('the reference page in headless chromium', () => {
  let w: World
  let browser: Browser
  let ctx: BrowserContext
  let page: Page
  let gw: GatewayInfo
  let other: Awaited<ReturnType<typeof otherOrigin>>
  let visible: string[]
  const navigations: string[] = []
  let feedReq: ClientRequest | undefined
  let feedFrames = 0

  /** A CLI run whose stdout may carry a fresh ui_url code (only that output may). */
  const cliWithCode = async (args: string[]) => {
    const r = await w.cli(args)
    if (typeof r.json?.ui_url === 'string') {
      codes.push(codeOf(r.json.ui_url))
      recordAllowed(r.stdout)
    }
    return r
  }
  const account = () => page.locator('#account').textContent()
  const options = (p = page) => p.getByLabel('Model').locator('option').allTextContents()
  /** Everything the page shows, for the secret scan. */
  const snapshot = async (p = page) => record(await p.content())

  beforeAll(async () => {
    w = await world()
    const cli = w.cli
    w.cli = async (args, extra) => {
      const r = await cli(args, extra)
      // A CLI that printed no JSON: show why in the test output (stderr is scrubbed by the CLI).
      if (r.json === undefined)
        console.log('CLI gave no JSON:', args, r.code, r.stderr.slice(0, 2000))
      return r
    }
    await w.signIn()
    visible = w.emu.modes.models
      .filter((m) => m.visibility === 'list')
      .sort((a, b) => Number(a.priority) - Number(b.priority))
      .map((m) => `openai-codex/${String(m.slug)}`)
    const s = await cliWithCode(['serve', '--detach', '--port', '0'])
    expect(s.json).toMatchObject({ ok: true, status: 'running', ui_url: expect.any(String) })
    gw = s.json as typeof gw
    const key = String((JSON.parse(readFileSync(gw.key_file, 'utf8')) as { key: string }).key)
    trackSecrets(() => [key, ...codes])
    other = await otherOrigin()
    // The feed as a host's server sees it (bearer key): every frame goes into the secret scan.
    feedReq = get(
      `http://127.0.0.1:${gw.port}/v1/models/events`,
      { headers: { authorization: `Bearer ${key}` } },
      (res) =>
        res.setEncoding('utf8').on('data', (chunk: string) => {
          feedFrames += (chunk.match(/^event: models$/gm) ?? []).length
          record(chunk)
        }),
    )
    feedReq.on('error', () => undefined)
    browser = await launchChromium()
    ctx = await browser.newContext()
    // Every finished response the pages get goes into the secret scan (the feed never finishes:
    // its frames are checked through the DOM snapshots and the bearer subscriber above).
    ctx.on('response', (res: any) => {
      if (res.url().includes('/v1/models/events')) return
      res.body().then(
        (b: any) => record(b.toString('utf8')),
        () => undefined,
      )
    })
    page = await ctx.newPage()
  })

  afterAll(async () => {
    feedReq?.destroy()
    await browser?.close()
    other?.server.close()
    if (w) {
      await w.cli(['serve', '--stop'])
      // The gateway's own log lines go into the secret scan too (paths only: never a code).
      if (gw?.log_file && existsSync(gw.log_file)) record(readFileSync(gw.log_file, 'utf8'))
      await w.close()
    }
  })

  it('opening ui_url signs the page in, drops the code from the address, and lists the visible models', async () => {
    const res = await page.goto(gw.ui_url)
    expect(res?.status()).toBe(200)
    expect(page.url()).toBe(`http://127.0.0.1:${gw.port}/ui`)
    const { email, plan } = w.emu.account
    const Plan = plan.charAt(0).toUpperCase() + plan.slice(1)
    await expect.poll(account).toBe(`Signed in ${email} ${Plan}`)
    await expect.poll(() => options()).toEqual(visible)
    const cookies = await ctx.cookies()
    expect(cookies).toEqual([
      expect.objectContaining({ name: `cco_ui_${gw.port}`, httpOnly: true, sameSite: 'Strict' }),
    ])
    await snapshot()
  })

  it('a fresh serve --ui-url link clicked on a page of another site comes up signed in', async () => {
    const r = await cliWithCode(['serve', '--ui-url'])
    expect(r.json).toMatchObject({ ok: true, ui_url: expect.stringMatching(/\/ui\?code=/) })
    // localhost is another site than 127.0.0.1: the click is a cross-site navigation, which
    // carries no SameSite=Strict cookie; the page's own requests then do.
    other.html(`<!doctype html><a id="go" href="${r.json.ui_url}">Open the model page</a>`)
    const fresh = await browser.newContext()
    const p = await fresh.newPage()
    await p.goto(`http://localhost:${other.port}/`)
    await p.click('#go')
    await p.waitForURL(`http://127.0.0.1:${gw.port}/ui`)
    await expect.poll(() => p.locator('#account').textContent()).toMatch(/^Signed in /)
    await expect.poll(() => options(p)).toEqual(visible)
    await snapshot(p)
    await fresh.close()
  })

  it('logout in another process: signed out with an empty picker within 2 s, no reload', async () => {
    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 1))
    page.on('framenavigated', (f: any) => navigations.push(f.url()))
    const out = await w.cli(['logout'])
    expect(out.json.ok).toBe(true)
    const t0 = Date.now()
    await expect
      .poll(account, { timeout: 2000, interval: 50 })
      .toBe('Not signed in Ask your agent to sign in with ChatGPT')
    await expect.poll(() => options(), { timeout: 2000, interval: 50 }).toEqual([])
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1)
    expect(navigations).toEqual([])
    await snapshot()
  })

  it('sign in again with start/poll: the models come back, still no reload', async () => {
    await w.signIn()
    await expect.poll(() => options(), { timeout: 2000, interval: 50 }).toEqual(visible)
    await expect.poll(account).toMatch(/^Signed in /)
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1)
    expect(navigations).toEqual([])
    expect(feedFrames).toBeGreaterThanOrEqual(3) // connect, logout, sign-in
  })

  it('/model <slug> switches the picker; a message reaches the emulator with that model and streams in', async () => {
    const target = visible.at(-1)!
    const slug = target.slice('openai-codex/'.length)
    const answer = 'Hello from the emulated subscription.'
    w.emu.set({ responses: { reply: 'text', text: answer, mode: 'slow', slowMs: 250 } })
    const box = page.getByLabel('Message')
    await box.fill(`/model ${slug}`)
    await box.press('Enter')
    expect(await page.getByLabel('Model').inputValue()).toBe(target)
    const before = w.emu.count('POST /backend-api/codex/responses')
    await box.fill('Say hello.')
    await box.press('Enter')
    const last = page.locator('#transcript .turn.answer .md').last()
    // Streaming: a part of the answer shows before the whole of it.
    await expect
      // The slow stream sends its first delta ~1 s in: expect.poll's 1 s default is too tight.
      .poll(() => last.textContent(), { interval: 20, timeout: 5_000 })
      .toMatch(new RegExp(`^${answer.slice(0, 5)}`))
    expect(await last.textContent()).not.toBe(answer)
    await expect.poll(() => last.textContent(), { timeout: 10_000 }).toBe(answer)
    // The stream's last events follow the text: the row stays busy (Send is Stop) until [DONE].
    const row = page.locator('#transcript .turn.answer').last()
    await expect.poll(() => row.getAttribute('aria-busy'), { timeout: 5_000 }).toBeNull()
    expect(w.emu.count('POST /backend-api/codex/responses')).toBe(before + 1)
    const sent = w.emu.requests.findLast((r) => r.path === '/backend-api/codex/responses')
    expect((sent?.body as { model?: string }).model).toBe(slug)
    w.emu.set({ responses: { reply: 'text' } })
    await snapshot()
    mkdirSync(fileURLToPath(new URL('../test-results/', import.meta.url)), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    expect(existsSync(SCREENSHOT)).toBe(true)
  })

  it('a used-up plan shows when it resets, in words', async () => {
    w.emu.set({ responses: { reply: 'text', mode: 'usage_limit' } })
    const box = page.getByLabel('Message')
    await box.fill('Once more.')
    await box.press('Enter')
    const last = page.locator('#transcript .turn.answer .note').last()
    await expect
      .poll(() => last.textContent())
      .toMatch(/usage limit is reached\. It resets in (1 h|59 min)\./)
    w.emu.set({ responses: { reply: 'text' } })
    await snapshot()
  })

  it('a reused ui_url code is refused with a page saying how to get a new one, and no cookie', async () => {
    const fresh = await browser.newContext()
    const p = await fresh.newPage()
    const res = await p.goto(gw.ui_url)
    expect(res?.status()).toBe(403)
    expect(await p.textContent('body')).toContain('serve --ui-url')
    expect(await fresh.cookies()).toEqual([])
    await snapshot(p)
    await fresh.close()
  })

  it('a cross-origin POST carrying the cookie is refused', async () => {
    // 127.0.0.1:<other port> is the same site (so the Strict cookie goes along) but another origin.
    const before = w.emu.count('POST /backend-api/codex/responses')
    other.html(
      `<!doctype html><form id="f" method="post" enctype="text/plain" action="http://127.0.0.1:${gw.port}/v1/chat/completions">` +
        `<input name='{"model":"x","messages":[{"role":"user","content":"hi"}],"a":"' value='"}'></form>`,
    )
    const p = await ctx.newPage()
    await p.goto(`http://127.0.0.1:${other.port}/`)
    const [res] = await Promise.all([
      p.waitForResponse((r: any) => r.url().endsWith('/v1/chat/completions')),
      p.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit()),
    ])
    // 403 bad_origin, not 401: the cookie went along (the gateway knew it), and the Origin
    // check refused it. (Reading the request's headers back hangs for a form navigation.)
    expect(res.status()).toBe(403)
    expect(JSON.parse(await res.text()).error.code).toBe('bad_origin')
    expect(w.emu.count('POST /backend-api/codex/responses')).toBe(before)
    await p.close()
  })

  it('after a gateway restart the page says to run serve --ui-url', async () => {
    expect((await w.cli(['serve', '--stop'])).json.ok).toBe(true)
    const again = await cliWithCode(['serve', '--detach', '--port', String(gw.port)])
    expect(again.json).toMatchObject({ ok: true, port: gw.port })
    await expect.poll(account, { timeout: 10_000 }).toMatch(/serve --ui-url/)
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(1)
    await snapshot()
  })
})

leakScan(import.meta.url)
