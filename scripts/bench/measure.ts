/**
 * Cold-process timing: spawn a command, wait for it to exit, take the wall time. Cases run in
 * rounds (A B C, A B C, ...) so drift in machine load hits every column alike; medians, not
 * means, because one descheduled run on a shared machine should not move the figure.
 */
import { spawn } from 'node:child_process'

export interface Cold {
  /** argv[0] is the program. */
  argv: string[]
  env: Record<string, string>
  cwd?: string
  /** Runs before each timed run, untimed (e.g. start a fresh sign-in so `poll` has one). */
  before?: () => Promise<void>
  /** Checks a run's output; a failed check aborts the bench (a fast wrong answer is no answer). */
  check?: (run: Run) => void
}

export interface Run {
  ms: number
  code: number | null
  stdout: string
  stderr: string
}

/** One cold run of `c`. Async spawn: the in-process emulator must keep serving meanwhile. */
export function runCold(c: Cold): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(c.argv[0]!, c.argv.slice(1), {
      env: c.env,
      cwd: c.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code, stdout, stderr })
    })
  })
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/**
 * Times every case `runs` times, alternating between them, after `warmup` untimed rounds (file
 * cache, not V8: every run is still a fresh process). Returns the medians in ms by case name.
 */
export interface Timed {
  median: number
  runs: number[]
  /** Per timed run: what `probe` counted across the run alone (after `before`). */
  counts: number[]
}

export async function alternate(
  cases: Record<string, Cold>,
  opts: { runs: number; warmup?: number; probe?: () => number; progress?: (round: number) => void },
): Promise<Record<string, Timed>> {
  const warmup = opts.warmup ?? 2
  const out: Record<string, Timed> = Object.fromEntries(
    Object.keys(cases).map((k) => [k, { median: 0, runs: [], counts: [] }]),
  )
  for (let round = 0; round < warmup + opts.runs; round++) {
    for (const [name, c] of Object.entries(cases)) {
      await c.before?.()
      const n0 = opts.probe?.() ?? 0
      const run = await runCold(c)
      const n = (opts.probe?.() ?? 0) - n0
      c.check?.(run)
      if (round >= warmup) {
        out[name]!.runs.push(run.ms)
        out[name]!.counts.push(n)
      }
    }
    opts.progress?.(round + 1 - warmup)
  }
  for (const t of Object.values(out)) t.median = median(t.runs)
  return out
}
