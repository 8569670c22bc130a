/**
 * Vitest global setup: installs the heavy test clients when missing (test/helpers/clients.ts; its
 * time is printed apart from the suite's), builds dist/, clears the per-run figure files before the suite, and afterwards sums
 * them (the per-file secret scans of test/helpers/leaks.ts and the reliability figures of
 * test/helpers/figures.ts), prints the totals, and writes test-results/reliability-summary.json.
 * docs/reliability.md quotes these totals.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureClients } from './clients.js'

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
const FILES = ['redaction.jsonl', 'reliability.jsonl']

type Line = Record<string, number | string>

function lines(name: string): Line[] {
  const path = join(RESULTS, name)
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
}

const sum = (ls: Line[], key: string) =>
  ls.reduce((n, l) => n + (typeof l[key] === 'number' ? (l[key] as number) : 0), 0)

/** Sums what the run recorded. Exported for the figures in docs/. */
export function summarise(): Record<string, unknown> {
  const scans = lines('redaction.jsonl')
  const figures = lines('reliability.jsonl')
  const by = (name: string) => figures.filter((f) => f.name === name)
  const out: Record<string, unknown> = {
    secret_scan: {
      files: scans.length,
      outputs_scanned: sum(scans, 'outputs'),
      secrets_checked: sum(scans, 'secrets'),
      leaks: sum(scans, 'leaks'),
    },
  }
  for (const name of [...new Set(figures.map((f) => String(f.name)))]) {
    out[name] = by(name).map(({ name: _n, at: _a, ...rest }) => rest)
  }
  return out
}

export default async function setup() {
  for (const f of FILES) rmSync(join(RESULTS, f), { force: true })
  const t0 = Date.now()
  const installed = await installClients()
  process.stdout.write(`${installed.line}\n`)
  // The CLI tests run the bundle (test/helpers/cli.ts): build it from the current sources.
  if (process.env.CHATGPT_CODEX_TEST_ENTRY !== 'source') {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' })
    if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}${b.stderr}`)
  }
  return () => {
    const summary = summarise()
    mkdirSync(RESULTS, { recursive: true })
    writeFileSync(
      join(RESULTS, 'reliability-summary.json'),
      `${JSON.stringify(summary, null, 2)}\n`,
    )
    const scan = summary.secret_scan as Record<string, number>
    process.stdout.write(
      `\nSecret scan: ${scan.outputs_scanned} outputs in ${scan.files} files checked against ${scan.secrets_checked} minted secrets (whole and every 24-char fragment): ${scan.leaks} leaks.\n` +
        `Reliability figures: test-results/reliability-summary.json\n` +
        `${installed.line}\n` +
        (installed.ms
          ? `Suite time without the clients' install: ${((Date.now() - t0 - installed.ms) / 1000).toFixed(1)} s (vitest's Duration includes the install)\n`
          : ''),
    )
  }
}

/**
 * Installs test/clients before the suite, so its time is not any test file's. A failure does not
 * stop the run: the tests that need a client fail with the reason, the others still run.
 */
async function installClients(): Promise<{ line: string; ms: number }> {
  try {
    const r = await ensureClients()
    return r.installed
      ? {
          line: `Test clients: installed in ${(r.ms / 1000).toFixed(1)} s (first run: npm ci --prefix test/clients)`,
          ms: r.ms,
        }
      : { line: 'Test clients: already installed (test/clients/node_modules)', ms: 0 }
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]
    return {
      line: `Test clients: INSTALL FAILED (the tests that need them fail): ${reason}`,
      ms: 0,
    }
  }
}
