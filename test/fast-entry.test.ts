/**
 * The prebuilt fast entry (`dist/cli.cjs`, package.json `bin`) is the same CLI as `npx tsx
 * exports.ts`: same stdout and exit status for status, --help, usage errors and the token
 * helper; the sign-in flow works through it (vendor chunks load on demand); and the cold paths
 * (`status`, a warm `token`) never load undici, the lock library or write-file-atomic. No
 * timing is asserted here: `npm run bench` is the measurement.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPORTS, ROOT, runCli } from './helpers/cli.js'
import { tempDir, world, type World } from './helpers/harness.js'
import { leakScan, recordAllowed } from './helpers/leaks.js'

const FAST = join(ROOT, 'dist', 'cli.cjs')
const VENDOR = ['undici', 'proper-lockfile', 'write-file-atomic']

let w: World
let preload: string

beforeAll(async () => {
  // Built by `npm install` (prepare); build here only when absent, so a parallel test that
  // runs the helper never sees dist/ disappear under it.
  if (!existsSync(FAST)) {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`)
  }
  w = await world()
  // Reports, at exit, every file the process loaded through require (the bundle's vendor files).
  preload = join(tempDir('cco-preload-'), 'loaded.cjs')
  writeFileSync(
    preload,
    "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'))\n",
  )
}, 120_000)
afterAll(() => w?.close())

const fast = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { ...w.env, ...env }, { entry: FAST })
/**
 * Hints name the command with the running entry's real path (`node <abs>/dist/cli.cjs`, or
 * `npx tsx <abs>/exports.ts` from source): the one place the two entries differ on purpose.
 */
const sameCommand = (out: string) =>
  out
    .replaceAll(`node ${realpathSync(FAST)} `, '<cli> ')
    .replaceAll(`npx tsx ${realpathSync(EXPORTS)} `, '<cli> ')
// Explicitly exports.ts under tsx: the suite's default entry is the bundle itself.
const source = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { ...w.env, ...env }, { entry: EXPORTS })

/** Runs the fast entry with the preload; returns which vendor files it loaded. */
async function vendorLoaded(args: string[]): Promise<{ code: number | null; vendor: string[] }> {
  const r = await runCli(args, w.env, { entry: FAST, nodeArgs: ['-r', preload] })
  if (args[0] === 'token') recordAllowed(r.stdout)
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '))
  if (!line) throw new Error(`no LOADED line; stderr: ${r.stderr}`)
  const files: string[] = JSON.parse(line.slice(7))
  return {
    code: r.code,
    vendor: VENDOR.filter((v) => files.some((f) => f.endsWith(`/dist/vendor/${v}.cjs`))),
  }
}

describe('fast entry = npx tsx exports.ts', () => {
  it.each([
    ['status (signed out)', ['status']],
    ['--help', ['--help']],
    ['unknown function', ['nope']],
    ['unknown flag', ['status', '--bogus']],
    ['bad flag value', ['poll', '--pending-id', 'x']],
    ['pretty', ['status', '--pretty']],
    // The hot bundle (status, token) must answer exactly as the full CLI does.
    ['status --help (sent to the full bundle)', ['status', '--help']],
    ['token signed out', ['token']],
    ['token bad format', ['token', '--format', 'nope']],
    ['token --format=raw signed out', ['token', '--format=raw']],
    ['hot command with a stray word', ['status', 'now']],
  ])('%s: same stdout and exit status', async (_name, args) => {
    const [a, b] = await Promise.all([fast(args), source(args)])
    expect(sameCommand(a.stdout)).toBe(sameCommand(b.stdout))
    expect(a.code).toBe(b.code)
    expect(a.stderr).toBe('')
  })

  it('signs in through the fast entry (start, poll: undici and the write path load on demand)', async () => {
    w.emu.set({ interval: '0' })
    const s = await fast(['start'])
    expect(s.json).toMatchObject({ ok: true, status: 'pending' })
    w.emu.approve()
    const p = await fast(['poll'])
    expect(p.json).toMatchObject({ ok: true, status: 'connected' })
    const after = await Promise.all([fast(['status']), source(['status'])])
    expect(after[0].json.status).toBe('connected')
    // The seconds-left figure is read off the clock at different instants; all else is equal.
    const { access_token_expires_in_s: x, ...a } = after[0].json
    const { access_token_expires_in_s: y, ...b } = after[1].json
    expect(a).toEqual(b)
    expect(Math.abs(x - y)).toBeLessThanOrEqual(60)
  })

  it('token: same result from both entries; the registry credential command is the fast entry', async () => {
    const [a, b] = await Promise.all([fast(['token']), source(['token'])])
    recordAllowed(a.stdout)
    recordAllowed(b.stdout)
    expect(a.code).toBe(0)
    expect(a.stdout).toBe(b.stdout)
    const reg = await fast(['status'])
    const { readFileSync } = await import('node:fs')
    const provider = JSON.parse(readFileSync(reg.json.registry.path, 'utf8'))
    expect(JSON.stringify(provider)).toContain(FAST)
  })
})

describe('cold paths load only what they need', () => {
  it('status and a warm token load no undici, lock library or write-file-atomic', async () => {
    expect(await vendorLoaded(['status'])).toEqual({ code: 0, vendor: [] })
    expect(await vendorLoaded(['token'])).toEqual({ code: 0, vendor: [] })
  })

  it('a call that sends does load undici (the probe sees vendor files)', async () => {
    const r = await vendorLoaded(['models', '--force'])
    expect(r.code).toBe(0)
    expect(r.vendor).toContain('undici')
  })
})

leakScan(import.meta.url)
