/**
 * Vitest global setup: clears the per-run figure files before the suite, and afterwards sums
 * them (the per-file secret scans of test/helpers/leaks.ts and the reliability figures of
 * test/helpers/figures.ts), prints the totals, and writes test-results/reliability-summary.json.
 * The README's Reliability section quotes these totals.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

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

/** Sums what the run recorded. Exported for the README figures. */
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

export default function setup() {
  for (const f of FILES) rmSync(join(RESULTS, f), { force: true })
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
        `Reliability figures: test-results/reliability-summary.json\n`,
    )
  }
}
