/**
 * Runs the real CLI as a child process (the built `dist/cli.cjs`, or `exports.ts` under tsx) and records every
 * output for the suite-wide secret scan.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { record } from './leaks.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const EXPORTS = fileURLToPath(new URL('../../exports.ts', import.meta.url))
export const BUNDLE = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url))

/**
 * The entry the suite runs: the shipped bundle `dist/cli.cjs`, rebuilt from src/ by the global
 * setup (test/helpers/summary.ts) so it is never stale; ~10x cheaper per process than tsx, which
 * keeps the many-process tests inside the suite's time budget. CHATGPT_CODEX_TEST_ENTRY=source
 * runs `exports.ts` under tsx instead.
 */
export const DEFAULT_ENTRY = process.env.CHATGPT_CODEX_TEST_ENTRY === 'source' ? EXPORTS : BUNDLE

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** The parsed JSON object on stdout (undefined if stdout was not one JSON line). */
  json: Record<string, any>
}

/** Environment for a CLI child: only what the test gives plus PATH/HOME basics (no user env leaks in). */
export function childEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_OPTIONS: '',
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v
  return env
}

/** Spawns the CLI once and waits for it. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  /** `nodeArgs`: flags for node itself, before the entry (e.g. `-r <preload>`). */
  opts: { timeoutMs?: number; entry?: string; nodeArgs?: string[] } = {},
): Promise<CliRun> {
  const entry = opts.entry ?? DEFAULT_ENTRY
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : []
  const argv = [...(opts.nodeArgs ?? []), ...loader, entry, ...args]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      record(stdout)
      record(stderr)
      let json: Record<string, any> = undefined as never
      try {
        json = JSON.parse(stdout)
      } catch {
        /* left undefined: the test asserts on it */
      }
      resolve({ code, stdout, stderr, json })
    })
  })
}
