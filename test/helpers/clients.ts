/**
 * The heavy real programs the tests run against: the Codex CLI (its ~404 MB native binary), pi
 * and playwright-core. They live in `test/clients/` with their own package.json and lockfile,
 * pinned exactly, outside the project's dependency tree, so `npm install` stays lean (issue 18;
 * docs/install.md). `ensureClients()` installs them with `npm ci --prefix test/clients` when
 * missing, once: the vitest global setup (test/helpers/summary.ts) calls it before the suite,
 * and every accessor here calls it again, under a lock, so a test file run on its own also gets
 * them and parallel files never install twice. A failed install throws npm's reason: a test that
 * needs a client fails with it; it never skips.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import lockfile from 'proper-lockfile'

export const CLIENTS_DIR = fileURLToPath(new URL('../clients/', import.meta.url))
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
/** Where the global setup finds how long the install took (it prints it apart from the suite). */
export const INSTALL_RECORD = join(RESULTS, 'clients-install.json')
const INSTALL_TIMEOUT_MS = 15 * 60_000

/** The exact versions test/clients/package.json pins. */
export function pinned(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(CLIENTS_DIR, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  return pkg.dependencies
}

/** Why the clients are not usable as installed, or undefined when every pinned one is there. */
export function clientsMissing(): string | undefined {
  for (const [name, version] of Object.entries(pinned())) {
    const file = join(CLIENTS_DIR, 'node_modules', name, 'package.json')
    if (!existsSync(file)) return `${name} is not installed in test/clients`
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version
    if (v !== version) return `test/clients has ${name}@${v}, the lockfile pins ${version}`
  }
  return undefined
}

export interface InstallResult {
  /** false: everything was already installed. */
  installed: boolean
  ms: number
}

let once: Promise<InstallResult> | undefined

/** Installs test/clients from its lockfile when something is missing; throws npm's reason. */
export function ensureClients(): Promise<InstallResult> {
  once ??= install()
  return once
}

async function install(): Promise<InstallResult> {
  if (!clientsMissing()) return { installed: false, ms: 0 }
  // Another test file (another process) may be installing: wait for its lock, then look again.
  const release = await lockfile.lock(CLIENTS_DIR, {
    lockfilePath: join(CLIENTS_DIR, '.install.lock'),
    retries: { retries: INSTALL_TIMEOUT_MS / 1000, minTimeout: 1000, maxTimeout: 1000 },
  })
  try {
    if (!clientsMissing()) return { installed: false, ms: 0 }
    const t0 = Date.now()
    const { code, output } = await npmCi()
    const ms = Date.now() - t0
    const reason = code === 0 ? clientsMissing() : `npm ci exited with ${code}`
    mkdirSync(RESULTS, { recursive: true })
    writeFileSync(INSTALL_RECORD, JSON.stringify({ ms, ok: !reason, at: new Date().toISOString() }))
    if (reason) {
      throw new Error(
        `installing the test clients failed (npm ci --prefix test/clients): ${reason}\n${output.slice(-3000)}`,
      )
    }
    return { installed: true, ms }
  } finally {
    await release()
  }
}

/** `npm ci` in test/clients, asynchronously: the lock's heartbeat must keep running. */
function npmCi(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'npm',
      ['ci', '--prefix', CLIENTS_DIR, '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: CLIENTS_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS)
    child.on('error', (err) => resolve({ code: null, output: `${output}${err.message}` }))
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/** A client's module, imported from test/clients (typed by the caller's interface). */
export async function importClient<T>(name: string): Promise<T> {
  await ensureClients()
  const { load } = (await import(pathToFileURL(join(CLIENTS_DIR, 'load.mjs')).href)) as {
    load: (name: string) => Promise<unknown>
  }
  return (await load(name)) as T
}

/** `@openai/codex` platform packages and their vendor triples (docs/codex-cli.md). */
const CODEX_TARGETS: Record<string, [pkg: string, triple: string]> = {
  'linux-x64': ['@openai/codex-linux-x64', 'x86_64-unknown-linux-musl'],
  'linux-arm64': ['@openai/codex-linux-arm64', 'aarch64-unknown-linux-musl'],
  'darwin-x64': ['@openai/codex-darwin-x64', 'x86_64-apple-darwin'],
  'darwin-arm64': ['@openai/codex-darwin-arm64', 'aarch64-apple-darwin'],
}

/** Whether `@openai/codex` ships a native binary for this platform. */
export const codexHasBinaryForPlatform = `${process.platform}-${process.arch}` in CODEX_TARGETS

/** The native codex binary of the pinned `@openai/codex`; throws when this platform has none. */
export async function codexBinary(): Promise<string> {
  const key = `${process.platform}-${process.arch}`
  const target = CODEX_TARGETS[key]
  if (!target) throw new Error(`@openai/codex has no native package for ${key}`)
  const [pkg, triple] = target
  await ensureClients()
  const path = join(CLIENTS_DIR, 'node_modules', pkg, 'vendor', triple, 'bin', 'codex')
  if (!existsSync(path)) throw new Error(`${path} is absent from ${pkg} in test/clients`)
  return path
}

/** The part of pi's SDK (`@mariozechner/pi-coding-agent`) the host tests use. */
export interface PiRegistry {
  getError(): unknown
  find(provider: string, model: string): Record<string, unknown> | undefined
  getApiKeyForProvider(provider: string): Promise<string | undefined>
  hasConfiguredAuth(model: Record<string, unknown>): boolean
}
export interface PiSdk {
  AuthStorage: { create(path: string): unknown }
  ModelRegistry: { create(auth: unknown, modelsPath: string): PiRegistry }
}
export const piSdk = () => importClient<PiSdk>('@mariozechner/pi-coding-agent')

/** The part of playwright-core the page test drives (the package's own types need it installed). */
export interface PwResponse {
  url(): string
  status(): number
  text(): Promise<string>
  body(): Promise<Buffer>
}
export interface PwLocator {
  textContent(): Promise<string | null>
  allTextContents(): Promise<string[]>
  inputValue(): Promise<string>
  fill(value: string): Promise<void>
  press(key: string): Promise<void>
  last(): PwLocator
  locator(selector: string): PwLocator
}
export interface PwPage {
  goto(url: string): Promise<PwResponse | null>
  url(): string
  click(selector: string): Promise<void>
  waitForURL(url: string): Promise<void>
  waitForResponse(match: (r: PwResponse) => boolean): Promise<PwResponse>
  locator(selector: string): PwLocator
  getByLabel(label: string): PwLocator
  textContent(selector: string): Promise<string | null>
  content(): Promise<string>
  evaluate<R>(fn: () => R): Promise<R>
  on(event: 'framenavigated', fn: (frame: { url(): string }) => void): void
  screenshot(opts: { path: string; fullPage?: boolean }): Promise<Buffer>
  close(): Promise<void>
}
export interface PwContext {
  newPage(): Promise<PwPage>
  cookies(): Promise<Array<Record<string, unknown>>>
  on(event: 'response', fn: (r: PwResponse) => void): void
  close(): Promise<void>
}
export interface PwBrowser {
  newContext(): Promise<PwContext>
  close(): Promise<void>
}
export interface Playwright {
  chromium: { launch(opts: { executablePath: string; args: string[] }): Promise<PwBrowser> }
}
export const playwright = () => importClient<Playwright>('playwright-core')
