/**
 * Issue 18, as a user installs it (docs/install.md), in a fresh copy of the working tree:
 * - the skill directory: `npm ci --omit=dev` succeeds with no install script held for approval,
 *   leaves node_modules ≤ 40 MB and a working `node dist/cli.cjs` (status, then a full device
 *   sign-in against the emulator);
 * - the release tarball: `npm pack` in that copy holds what a user needs and nothing of the
 *   tests, installs into an empty project --offline (it has no dependencies), and
 *   `npx chatgpt-codex-onboarding status` works; the package bin then runs a full device
 *   sign-in, and the gateway serves the page's assets from the installed package.
 * npm reaches only the registry (or its cache). The figures go to test-results/reliability.jsonl.
 */
import { spawn, spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, type CliRun } from './helpers/cli.js'
import { figure } from './helpers/figures.js'
import { tempDir, world, type World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const LEAN_LIMIT_KB = 40 * 1024

interface Run {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs a command asynchronously (the emulator lives in this process). */
function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<Run> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - t0 })
    })
  })
}

/** A CLI call as the user's shell makes it: the world's state and emulator, no other env. */
async function cli(w: World, argv: string[], cwd: string): Promise<CliRun> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: '', ...w.env }
  const r = await new Promise<Run>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: 0 }))
  })
  record(r.stdout)
  record(r.stderr)
  let json: Record<string, any> = undefined as never
  try {
    json = JSON.parse(r.stdout)
  } catch {
    /* asserted below */
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, json }
}

/** status, then start → the user approves on the emulator → poll → status, through `entry`. */
async function deviceSignIn(w: World, entry: string[], cwd: string): Promise<void> {
  const call = (args: string[]) => cli(w, [...entry, ...args], cwd)
  expect((await call(['status'])).json).toMatchObject({ ok: true, status: 'disconnected' })
  w.emu.set({ interval: '0' })
  const start = await call(['start'])
  expect(start.json).toMatchObject({ ok: true, status: 'pending', user_code: expect.any(String) })
  w.emu.approve()
  const poll = await call(['poll', '--pending-id', String(start.json.pending_id)])
  expect(poll.json).toMatchObject({ ok: true, status: 'connected' })
  expect((await call(['status'])).json).toMatchObject({ ok: true, status: 'connected' })
}

/** Tracked and untracked-but-not-ignored files: the working tree as a fresh clone would have it. */
function copyWorkingTree(dest: string): void {
  const ls = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (ls.status !== 0) throw new Error(`git ls-files failed: ${ls.stderr}`)
  for (const f of ls.stdout.split('\0').filter(Boolean)) {
    const from = join(ROOT, f)
    if (!existsSync(from) || f.startsWith('test/clients/node_modules/')) continue
    mkdirSync(dirname(join(dest, f)), { recursive: true })
    cpSync(from, join(dest, f))
  }
}

/** Disk usage of a directory in KiB, as `du -sk` counts it (blocks, not apparent sizes). */
function duKb(dir: string): number {
  const r = spawnSync('du', ['-sk', dir], { encoding: 'utf8' })
  return Number(r.stdout.split('\t')[0])
}

describe('installed as a user installs it', () => {
  let w: World
  let tree: string
  const npmEnv = {
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }

  beforeAll(async () => {
    w = await world()
    tree = join(scratchDir('cco-install-'), 'skill')
    copyWorkingTree(tree)
  })
  /** Temp dirs to remove at the end (the copy, the pack, the user project: ~25 MB). */
  const scratch: string[] = []
  const scratchDir = (prefix: string) => {
    const d = tempDir(prefix)
    scratch.push(d)
    return d
  }
  afterAll(async () => {
    await w?.close()
    for (const d of scratch) rmSync(d, { recursive: true, force: true })
  })

  it('skill directory: npm ci --omit=dev builds dist/, ≤ 40 MB, no approval asked; node dist/cli.cjs signs in', async () => {
    const ci = await run('npm', ['ci', '--omit=dev'], {
      cwd: tree,
      env: npmEnv,
      timeoutMs: 240_000,
    })
    expect(ci.code, `${ci.stdout}\n${ci.stderr}`).toBe(0)
    expect(`${ci.stdout}${ci.stderr}`).not.toMatch(/install-scripts|approve/)
    expect(existsSync(join(tree, 'node_modules', 'vitest'))).toBe(false)
    const kb = duKb(join(tree, 'node_modules'))
    expect(kb).toBeLessThanOrEqual(LEAN_LIMIT_KB)
    figure('install', {
      kind: 'lean',
      ms: ci.ms,
      node_modules_kb: kb,
      packages: readdirSync(join(tree, 'node_modules')).length,
    })
    // From another working directory: the entry needs no cwd.
    await deviceSignIn(w, [process.execPath, join(tree, 'dist', 'cli.cjs')], scratchDir('cco-cwd-'))
  }, 300_000)

  it('release tarball: npm pack holds dist/, docs and no tests; it installs offline and npx signs in', async () => {
    // Packed from the lean copy (its esbuild builds dist/ in prepack), as a release is made.
    const out = scratchDir('cco-pack-')
    const pack = await run('npm', ['pack', '--pack-destination', out, '--json'], {
      cwd: tree,
      env: npmEnv,
      timeoutMs: 240_000,
    })
    expect(pack.code, pack.stderr).toBe(0)
    const [info] = JSON.parse(pack.stdout) as Array<{
      filename: string
      size: number
      files: Array<{ path: string }>
    }>
    const files = info!.files.map((f) => f.path).sort()
    const allowed =
      /^(LICENSE|README\.md|SKILL\.md|package\.json|docs\/[\w-]+\.md|dist\/.+|src\/gateway\/ui\/.+|schemas\/.+)$/
    expect(files.filter((f) => !allowed.test(f))).toEqual([])
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'SKILL.md', 'dist/cli.cjs']),
    )
    // The working manifest came back after the pack; the packed one has no dependencies.
    expect(JSON.parse(readFileSync(join(tree, 'package.json'), 'utf8')).dependencies).toBeDefined()
    expect(existsSync(join(tree, 'package.json.pack-backup'))).toBe(false)
    const tgz = join(out, info!.filename)
    const manifest = spawnSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' })
    expect(JSON.parse(manifest.stdout)).not.toHaveProperty('dependencies')

    const project = scratchDir('cco-user-')
    writeFileSync(
      join(project, 'package.json'),
      '{"name":"user-project","version":"1.0.0","private":true}\n',
    )
    const inst = await run('npm', ['install', tgz, '--offline'], { cwd: project, env: npmEnv })
    expect(inst.code, inst.stderr).toBe(0)
    expect(`${inst.stdout}${inst.stderr}`).not.toMatch(/install-scripts|approve/)
    const kb = duKb(join(project, 'node_modules'))
    figure('install', {
      kind: 'tarball',
      tarball_bytes: statSync(tgz).size,
      files: files.length,
      install_ms: inst.ms,
      node_modules_kb: kb,
    })

    // npx finds the package's bin in the project (never the registry: --no); the sign-in runs
    // that same bin directly, as a host's credential helper would (npx costs ~1 s a call).
    const npxStatus = await cli(w, ['npx', '--no', 'chatgpt-codex-onboarding', 'status'], project)
    expect(npxStatus.json).toMatchObject({ ok: true })
    const bin = join(project, 'node_modules', '.bin', 'chatgpt-codex-onboarding')
    await cli(w, [bin, 'logout'], project)
    await deviceSignIn(w, [bin], project)
    // The page's assets resolve inside the installed package (src/gateway/ui/ is in `files`).
    const serve = await cli(w, [bin, 'serve', '--detach', '--port', '0'], project)
    expect(serve.json).toMatchObject({ ok: true, status: 'running' })
    try {
      const res = await fetch(`http://127.0.0.1:${serve.json.port}/ui/app.js`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('models/events')
    } finally {
      await cli(w, [bin, 'serve', '--stop'], project)
    }
  }, 300_000)
})

leakScan(import.meta.url)
