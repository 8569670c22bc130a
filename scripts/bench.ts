/**
 * `npm run bench`: cold-process latency of the skill's calls, side by side with the floor
 * (`node -e 0`) and the Codex CLI's `codex login status`, measured in one run.
 *
 * Every case is a whole new process; cases alternate round by round (so load drift hits all of
 * them alike), and the figure is the median of `--runs` (default 15, at least 15) timed rounds
 * after 2 untimed warm-up rounds. Calls run against the project's loopback emulator in this
 * process, which also counts the requests each call made.
 *
 * Options: --runs N, --only status,token (rows to measure; the references always run).
 * Sections live in scripts/bench/: add a row file and list it in `rowsFor` below.
 */
import { cpus, loadavg, platform, arch } from 'node:os'
import { existsSync } from 'node:fs'
import { COMMANDS } from '../src/cli/commands.js'
import { alternate, type Cold, type Timed } from './bench/measure.js'
import { LAUNCHER, NATIVE_CODEX, NODE, referenceCases } from './bench/reference.js'
import { skillRows, type Row } from './bench/skill.js'
import { counts, ms, ratio, table } from './bench/table.js'
import { DROPPED_ENV, FAST, makeWorld, type World } from './bench/world.js'

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const runs = Number(option('runs') ?? 15)
if (!Number.isInteger(runs) || runs < 15)
  throw new Error('--runs must be a whole number, at least 15')
const only = option('only')?.split(',')

if (!existsSync(FAST)) {
  process.stderr.write('dist/cli.cjs is missing: run `npm run build` (npm install does it too).\n')
  process.exit(1)
}

/** All row sections, in table order. A later section (e.g. the gateway) adds its rows here. */
async function rowsFor(w: World): Promise<Row[]> {
  return [...(await skillRows(w))]
}

const w = await makeWorld()
let failed = false
try {
  const notes: string[] = []
  const rows = (await rowsFor(w)).filter((r) => {
    if (only && !only.includes(r.name)) return false
    if (!Object.hasOwn(COMMANDS, r.name)) {
      notes.push(`${r.name}: skipped, the CLI has no such command yet`)
      return false
    }
    return true
  })
  const ref = referenceCases(w)
  notes.push(...ref.missing.map((m) => `not measured: ${m}`))

  const cases: Record<string, Cold> = { ...ref.cases }
  for (const r of rows) {
    cases[`${r.name}:fast`] = r.fast
    cases[`${r.name}:tsx`] = r.tsx
  }
  const load0 = loadavg()[0]!
  const t0 = Date.now()
  const res: Record<string, Timed> = await alternate(cases, {
    runs,
    probe: () => w.emu.requests.length,
    progress: (n) => n > 0 && process.stderr.write(`\rround ${n}/${runs}`),
  })
  process.stderr.write('\n')
  const elapsed = ((Date.now() - t0) / 1000).toFixed(0)

  const floor = res[NODE]
  const launcher = res[LAUNCHER]
  const body = rows.map((r) => {
    const fast = res[`${r.name}:fast`]
    const tsx = res[`${r.name}:tsx`]
    const seen = `${counts(fast)}${counts(tsx) === counts(fast) ? '' : ` (tsx: ${counts(tsx)})`}`
    const ok = [...fast!.counts, ...tsx!.counts].every((n) => n === r.requests)
    if (!ok) failed = true
    return [
      r.name,
      ms(fast),
      ms(tsx),
      ratio(fast, floor),
      ratio(fast, launcher),
      ok ? seen : `${seen} ≠ expected ${r.requests}`,
      r.note,
    ]
  })
  const cpu = cpus()
  const out: string[] = []
  out.push(
    `Cold processes, median of ${runs} alternating runs each; ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? '?'}), ` +
      `Node ${process.version}, ${platform()} ${arch()}; load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}; ${elapsed} s.`,
    '',
    table(
      [
        'call',
        'fast entry',
        'npx tsx exports.ts',
        '÷ node -e 0',
        '÷ codex launcher',
        'requests/call',
        'state',
      ],
      body,
    ),
    '',
    table(
      ['reference', 'median'],
      [NODE, LAUNCHER, NATIVE_CODEX].map((k) => [k === NODE ? `\`${k}\`` : `\`${k}\``, ms(res[k])]),
    ),
    '',
  )
  for (const name of ['status', 'token']) {
    const t = res[`${name}:fast`]
    if (!t || !floor) continue
    const r = t.median / floor.median
    const beats = launcher ? t.median < launcher.median : undefined
    out.push(
      `${name} via the fast entry: ${r.toFixed(2)}× \`node -e 0\` (goal ≤ 1.30: ${r <= 1.3 ? 'met' : 'NOT met'})` +
        (launcher
          ? `, ${(t.median / launcher.median).toFixed(2)}× the codex npm launcher (goal < 1: ${beats ? 'met' : 'NOT met'})`
          : ''),
    )
  }
  out.push(
    '',
    `Environment of every measured process: a minimal one; dropped from this shell: ${DROPPED_ENV.join(', ')}.`,
  )
  for (const n of notes) out.push(`Note: ${n}`)
  process.stdout.write(`${out.join('\n')}\n`)
} finally {
  await w.close()
}
if (failed) {
  process.stderr.write('request counts differ from what each call should make (see the table)\n')
  process.exitCode = 1
}
