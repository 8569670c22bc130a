/**
 * The page's browser tests share this: Debian's headless chromium through playwright-core, a
 * signed-in world with a real gateway process (`serve --detach`), and the page opened through a
 * one-time link. playwright-core is imported here only, so moving it is a one-line change.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { playwright } from './clients.js'
import { world, type World } from './harness.js'
import { record, recordAllowed, trackSecrets } from './leaks.js'

export const CHROMIUM = '/usr/bin/chromium'
/** CI installs chromium (.ci/run); elsewhere a missing browser skips the file, saying why. */
export const SKIP_BROWSER = !existsSync(CHROMIUM) && !process.env.CI

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/*
 * playwright-core is pinned in test/clients/ and installed on first use, so its own types are not
 * there for tsc on a fresh clone: the page tests drive it through these loose aliases.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Browser = any
export type BrowserContext = any
export type Page = any
export type BrowserContextOptions = Record<string, unknown>

export async function launchChromium(): Promise<Browser> {
  const { chromium } = (await playwright()) as any
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS })
}

export interface GatewayInfo {
  port: number
  url: string
  key_file: string
  ui_url: string
  pid: number
  log_file: string
}

export interface UiWorld {
  w: World
  gw: GatewayInfo
  browser: Browser
  /** A new signed-in page in a context of its own (a fresh one-time link each). */
  open(opts?: BrowserContextOptions): Promise<{ ctx: BrowserContext; page: Page }>
  close(): Promise<void>
}

/** Signs in, starts the gateway and chromium; every response a page gets is secret-scanned. */
export async function uiWorld(): Promise<UiWorld> {
  const w = await world()
  await w.signIn()
  const codes: string[] = []
  const withCode = async (args: string[]) => {
    const r = await w.cli(args)
    if (typeof r.json?.ui_url === 'string') {
      codes.push(new URL(r.json.ui_url).searchParams.get('code') ?? '')
      recordAllowed(r.stdout)
    }
    return r
  }
  const s = await withCode(['serve', '--detach', '--port', '0'])
  if (!s.json?.ok) throw new Error(`serve failed: ${s.stdout} ${s.stderr}`)
  const gw = s.json as GatewayInfo
  const key = String((JSON.parse(readFileSync(gw.key_file, 'utf8')) as { key: string }).key)
  trackSecrets(() => [key, ...codes])
  const browser = await launchChromium()
  let first = true
  return {
    w,
    gw,
    browser,
    async open(opts = {}) {
      const link = first ? gw.ui_url : (await withCode(['serve', '--ui-url'])).json.ui_url
      first = false
      const ctx = await browser.newContext(opts)
      ctx.on('response', (res: any) => {
        if (res.url().includes('/v1/models/events')) return
        res.body().then(
          (b: any) => record(b.toString('utf8')),
          () => undefined,
        )
      })
      const page = await ctx.newPage()
      await page.goto(link)
      return { ctx, page }
    },
    async close() {
      await browser.close()
      await w.cli(['serve', '--stop'])
      if (existsSync(gw.log_file)) record(readFileSync(gw.log_file, 'utf8'))
      await w.close()
    },
  }
}

/** `docs/screenshots/<name>.png`, made by the test run and committed. */
export function screenshotPath(name: string): string {
  const path = fileURLToPath(new URL(`../../docs/screenshots/${name}.png`, import.meta.url))
  mkdirSync(dirname(path), { recursive: true })
  return path
}
