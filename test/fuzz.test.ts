/**
 * Bad input, property-based (fast-check): every function and every flag of the command table
 * (whatever commands exist when the suite runs) gets oversized, empty, non-ASCII,
 * control-character and path-like values, unknown functions and flags, extra words, repeated
 * flags and switches given a value. Each must yield exactly one JSON line with
 * `invalid_argument`, exit 2, no stack trace, nothing echoed unbounded, and no state touched.
 *
 * Thousands of cases run in-process through `main()`; a sample of 20 also runs through real
 * CLI child processes. CHATGPT_CODEX_SOAK=1 multiplies the in-process runs by 10.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as api from '../exports.js'
import { COMMANDS } from '../src/cli/commands.js'
import { main } from '../src/cli/main.js'
import { isSwitchFlag } from '../src/cli/parse.js'
import { runCli } from './helpers/cli.js'
import { figure, SOAK } from './helpers/figures.js'
import { leakScan, record } from './helpers/leaks.js'

const RUNS = SOAK ? 3000 : 300
const FNS = Object.keys(COMMANDS)
const HELP = new Set(['--help', '-h', 'help'])
const MAX_ARG = 8192
let tried = 0

const nasty = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom(
      'é',
      '日',
      '🙂',
      '\u202e',
      '\t',
      '\n',
      '\r',
      '\x1b',
      '\x7f',
      '\u0000',
      'a',
      '-',
    ),
    maxLength: 16,
  }),
  fc.constantFrom(
    '../../etc/passwd',
    '/etc/shadow',
    '~/.codex/auth.json',
    'C:\\Windows\\win.ini',
    './x',
    '%2e%2e%2f',
    'file:///etc/passwd',
    '$(rm -rf ~)',
    '`id`',
    '; ls',
    'pl_',
  ),
  fc.integer({ min: MAX_ARG + 1, max: MAX_ARG * 3 }).map((n) => 'A'.repeat(n)),
)

const fnArb = fc.constantFrom(...FNS)
const flagsOf = (fn: string) => Object.entries(COMMANDS[fn]!.flags)
const fnsWith = (pred: (s: ReturnType<typeof flagsOf>[number][1]) => boolean) =>
  FNS.flatMap((fn) =>
    flagsOf(fn)
      .filter(([, s]) => pred(s))
      .map(([f, s]) => ({ fn, flag: f, schema: s })),
  )
const switches = [
  ...fnsWith(isSwitchFlag),
  ...FNS.flatMap((fn) => [
    { fn, flag: 'pretty' },
    { fn, flag: 'help' },
  ]),
]
const valued = fnsWith((s) => !isSwitchFlag(s))

/** Each family of bad argv, by name. */
const families: Record<string, fc.Arbitrary<string[]>> = {
  unknown_function: fc
    .tuple(
      nasty.filter((s) => !Object.hasOwn(COMMANDS, s) && !HELP.has(s)),
      fc.array(nasty, { maxLength: 2 }),
    )
    .map(([f, rest]) => [f, ...rest]),
  unknown_flag: fc
    .tuple(fnArb, nasty)
    .filter(
      ([fn, n]) =>
        !n.includes('=') &&
        !Object.hasOwn(COMMANDS[fn]!.flags, n) &&
        n !== 'pretty' &&
        n !== 'help',
    )
    .map(([fn, n]) => [fn, `--${n}`]),
  extra_word: fc
    .tuple(
      fnArb,
      nasty.filter((w) => !w.startsWith('--')),
    )
    .map(([fn, w]) => [fn, w]),
  repeated_flag: fc
    .constantFrom(...switches.filter((s) => s.flag !== 'help'), ...valued)
    .map(({ fn, flag }) => {
      const once = valued.some((v) => v.fn === fn && v.flag === flag)
        ? [`--${flag}`, goodValue(fn, flag)]
        : [`--${flag}`]
      return [fn, ...once, ...once]
    }),
  switch_with_value: fc
    .tuple(fc.constantFrom(...switches), nasty, fc.boolean())
    .map(([{ fn, flag }, v, inline]) => (inline ? [fn, `--${flag}=${v}`] : [fn, `--${flag}`, v]))
    .filter((argv) => argv.length === 2 || !String(argv[2]).startsWith('--')),
  bad_value: fc
    .tuple(fc.constantFrom(...valued), nasty, fc.constantFrom('inline', 'separate', 'missing'))
    .filter(([{ schema }, v]) => v.length > MAX_ARG || !schema.safeParse(v).success)
    .map(([{ fn, flag }, v, form]) =>
      form === 'inline'
        ? [fn, `--${flag}=${v}`]
        : form === 'separate'
          ? [fn, `--${flag}`, v]
          : [fn, `--${flag}`],
    ),
}

/** A value the flag accepts, so a repeat is the only fault. */
function goodValue(fn: string, flag: string): string {
  const samples = ['device', 'pl_abc', 'openai-codex/gpt-5.4', 'gpt-5.4', 'json', '1', 'x', '/tmp']
  // Without an accepted sample the repeat is still a usage error (bad value or given twice).
  return samples.find((v) => COMMANDS[fn]!.flags[flag]!.safeParse(v).success) ?? 'x'
}

/** Runs `main()` in-process, capturing stdout; removes the crash handlers main installs. */
async function runMain(argv: string[]): Promise<{ code: number; stdout: string }> {
  const listeners = {
    u: process.listeners('uncaughtException'),
    r: process.listeners('unhandledRejection'),
  }
  const write = process.stdout.write.bind(process.stdout)
  let stdout = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  }) as typeof process.stdout.write
  try {
    const code = await main(argv)
    return { code, stdout }
  } finally {
    process.stdout.write = write
    for (const l of process.listeners('uncaughtException'))
      if (!listeners.u.includes(l)) process.off('uncaughtException', l)
    for (const l of process.listeners('unhandledRejection'))
      if (!listeners.r.includes(l)) process.off('unhandledRejection', l)
  }
}

/** The contract every bad input must meet. */
function expectUsageError(code: number | null, stdout: string, argv: string[]): void {
  const where = JSON.stringify(argv).slice(0, 200)
  expect(code, where).toBe(2)
  // One JSON object: on one line, or indented when --pretty was among the words.
  const lines = argv.includes('--pretty')
    ? [stdout.slice(0, -1).replace(/\n\s*/g, ''), '']
    : stdout.split('\n')
  expect(lines.length, where).toBe(2)
  expect(lines[1], where).toBe('')
  expect(stdout.endsWith('}\n'), where).toBe(true)
  const json = JSON.parse(argv.includes('--pretty') ? stdout : lines[0]!)
  expect(json, where).toMatchObject({ ok: false, code: 'invalid_argument', retryable: false })
  expect(typeof json.error).toBe('string')
  expect(stdout, where).not.toMatch(/\n\s+at |node:internal|\.ts:\d+:\d+/)
  // Input is echoed bounded and escaped: no raw control characters, nothing oversized.
  expect(lines[0], where).not.toMatch(/[\u0000-\u001f]/)
  expect(lines[0]!.length, where).toBeLessThan(1500)
}

let home: string
const saved = { ...process.env }
beforeAll(() => {
  // Should a generator ever produce a valid call, it must not touch a real state directory.
  home = mkdtempSync(join(tmpdir(), 'cco-fuzz-'))
  process.env.CHATGPT_CODEX_HOME = join(home, 'state')
  process.env.HOME = home
})
afterAll(() => {
  process.env = saved
})

describe('bad input through main() in-process (property-based)', () => {
  for (const [name, arb] of Object.entries(families)) {
    it(`${name}: one JSON line, invalid_argument, exit 2, no stack trace`, async () => {
      await fc.assert(
        fc.asyncProperty(arb, async (argv) => {
          tried++
          const { code, stdout } = await runMain(argv)
          record(stdout)
          expectUsageError(code, stdout, argv)
        }),
        { numRuns: RUNS },
      )
    })
  }

  it('programmatic exports reject bad option objects the same way', async () => {
    const exported = FNS.filter((fn) => typeof (api as Record<string, unknown>)[fn] === 'function')
    const badOpts = fc.oneof(
      nasty,
      fc.integer(),
      fc.array(fc.anything(), { minLength: 0, maxLength: 3 }),
      fc.dictionary(
        nasty.filter((k) => !/^[a-z_]+$/.test(k) || k.length > 30),
        fc.anything(),
        { minKeys: 1, maxKeys: 3 },
      ),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...exported), badOpts, async (fn, opts) => {
        tried++
        const r = await (
          api as unknown as Record<string, (o: unknown) => Promise<Record<string, unknown>>>
        )[fn]!(opts)
        record(r)
        expect(r).toMatchObject({ ok: false, code: 'invalid_argument', retryable: false })
      }),
      { numRuns: RUNS },
    )
  })

  it('touched no state', () => {
    expect(existsSync(join(home, 'state'))).toBe(false)
  })
})

describe('bad input through real CLI processes (sampled)', () => {
  it('20 sampled cases: exit 2, one JSON line, empty stderr', async () => {
    const all = fc
      .oneof(...Object.values(families))
      .filter((argv) => argv.every((a) => !a.includes('\u0000')))
    const sample = fc.sample(all, { numRuns: 20, seed: 5 })
    const env = { HOME: home, CHATGPT_CODEX_HOME: join(home, 'state-cli') }
    for (let i = 0; i < sample.length; i += 4) {
      const runs = await Promise.all(sample.slice(i, i + 4).map((argv) => runCli(argv, env)))
      runs.forEach((r, j) => {
        tried++
        expectUsageError(r.code, r.stdout, sample[i + j]!)
        expect(r.stderr).toBe('')
      })
    }
    expect(existsSync(join(home, 'state-cli'))).toBe(false)
    figure('bad_input', {
      cases: tried,
      families: Object.keys(families).length + 1,
      functions: FNS.length,
    })
  })
})

leakScan(import.meta.url)
