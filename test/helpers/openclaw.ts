/**
 * The real OpenClaw as a test peer, installed pinned (test/clients/openclaw/package-lock.json:
 * openclaw@2026.9.6 and the node@24.21.0 it needs, since OpenClaw wants Node >=24.16 and the
 * suite runs on Node 20) into that folder on first use. One install for the whole suite: parallel
 * test files wait on a lock, and a finished install is marked with the lockfile's hash. A failed
 * install throws with npm's output (the test fails with the reason; never a silent skip).
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { figure } from './figures.js'
import { record } from './leaks.js'

export const OPENCLAW_DIR = fileURLToPath(new URL('../clients/openclaw/', import.meta.url))
const MODULES = join(OPENCLAW_DIR, 'node_modules')
/** Node 24's bin directory: first on PATH for the OpenClaw install and every OpenClaw command. */
export const NODE24_BIN = join(MODULES, 'node', 'bin')
const ENTRY = join(MODULES, 'openclaw', 'openclaw.mjs')
const MARKER = join(MODULES, '.cco-installed')

export interface Openclaw {
  entry: string
  /** PATH with Node 24 first. */
  path: string
  /** Milliseconds this process spent installing (0 when it was already installed). */
  installMs: number
}

const lockHash = () =>
  createHash('sha256')
    .update(readFileSync(join(OPENCLAW_DIR, 'package-lock.json')))
    .digest('hex')

const installed = () => existsSync(MARKER) && readFileSync(MARKER, 'utf8') === lockHash()

/**
 * One npm step, asynchronous: the install lock is kept fresh by a timer, which a synchronous
 * spawn would starve (a waiter would then take the lock as stale and install a second time).
 */
function npm(args: string[], path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', [...args, '--no-audit', '--no-fund'], {
      cwd: OPENCLAW_DIR,
      env: { ...process.env, PATH: path },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000)
    child.on('error', (err) => (clearTimeout(timer), reject(err)))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve()
      const tail = out.trim().split('\n').slice(-15).join('\n')
      reject(
        new Error(
          `OpenClaw install failed at \`npm ${args.join(' ')}\` (${signal ?? `exit ${code}`}):\n${tail}`,
        ),
      )
    })
  })
}

/** The packages with install scripts, from the lockfile, without `node` itself. */
function scripted(): string[] {
  const lock = JSON.parse(readFileSync(join(OPENCLAW_DIR, 'package-lock.json'), 'utf8'))
  return Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
    .filter(([k, v]) => v.hasInstallScript && k !== 'node_modules/node')
    .map(([k]) => k.replace(/^.*node_modules\//, ''))
}

/**
 * Installs the pinned OpenClaw unless installed: `npm ci --ignore-scripts` from the lockfile,
 * then `node`'s own script (it fetches the Node 24 binary package), then with Node 24 first on
 * PATH the other install scripts (OpenClaw's postinstall runs under the Node it will run on).
 */
export async function ensureOpenclaw(): Promise<Openclaw> {
  const path = `${NODE24_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`
  if (installed()) return { entry: ENTRY, path, installMs: 0 }
  const { default: lockfile } = await import('proper-lockfile')
  const release = await lockfile.lock(OPENCLAW_DIR, {
    lockfilePath: join(OPENCLAW_DIR, '.install.lock'),
    stale: 30_000,
    update: 5_000,
    retries: { retries: 1200, factor: 1, minTimeout: 500, maxTimeout: 500 },
  })
  try {
    if (installed()) return { entry: ENTRY, path, installMs: 0 }
    const t0 = Date.now()
    await npm(['ci', '--ignore-scripts'], process.env.PATH ?? '/usr/bin:/bin')
    await npm(['rebuild', 'node'], process.env.PATH ?? '/usr/bin:/bin')
    await npm(['rebuild', ...scripted()], path)
    const v = spawnSync(join(NODE24_BIN, 'node'), ['--version'], { encoding: 'utf8' })
    if (v.stdout?.trim() !== 'v24.21.0')
      throw new Error(
        `OpenClaw install: node@24.21.0 answers ${JSON.stringify(v.stdout ?? v.error)}`,
      )
    writeFileSync(MARKER, lockHash())
    const installMs = Date.now() - t0
    figure('host_install', { host: 'openclaw@2026.9.6+node@24.21.0', ms: installMs })
    return { entry: ENTRY, path, installMs }
  } finally {
    await release()
  }
}

export interface OpenclawRun {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON (undefined when it is not). */
  json: any
  ms: number
}

/**
 * Runs `openclaw <args>` under Node 24 with exactly `env` (plus PATH), killed after
 * `timeoutMs`; both outputs are recorded for the secret scan.
 */
export function runOpenclaw(
  oc: Openclaw,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 300_000,
): Promise<OpenclawRun> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(join(NODE24_BIN, 'node'), [oc.entry, ...args], {
      cwd: env.HOME,
      env: { ...env, PATH: oc.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      record(stdout)
      record(stderr)
      let json: any
      try {
        json = JSON.parse(stdout)
      } catch {
        /* left undefined: the test asserts on it */
      }
      resolve({ code, stdout, stderr, json, ms: Date.now() - t0 })
    })
  })
}
