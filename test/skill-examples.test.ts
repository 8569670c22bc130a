/**
 * SKILL.md's examples run as written: every command line of its ```bash blocks that calls the
 * installed entry (`node <skill-dir>/dist/cli.cjs ...`) runs, in order, against the emulator,
 * with `<skill-dir>` and the values an agent would fill in (`<pending_id>` from the last
 * `start`). Each output must match its function's schema; the user's approval happens where the
 * user would give it, before a `poll`. Lines with a generic placeholder (`<function>`) are syntax,
 * not examples, and are skipped. SKILL.md must also stay under 500 lines.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUCCESS, type FunctionName } from '../src/skill/schemas/functions.js'
import { Failure } from '../src/skill/schemas/common.js'
import { ROOT } from './helpers/cli.js'
import { world, type World } from './helpers/harness.js'
import { leakScan } from './helpers/leaks.js'

const SKILL = readFileSync(join(ROOT, 'SKILL.md'), 'utf8')
const ENTRY = 'node <skill-dir>/dist/cli.cjs '

/** The command lines of every bash block, comments dropped. */
function exampleLines(md: string): string[] {
  const blocks = [...md.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!)
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith(ENTRY))
}

/** Shell-like words: single quotes group, nothing else is special in these examples. */
const words = (s: string) =>
  [...s.matchAll(/'([^']*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1] : m[2]!))

describe('SKILL.md', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
    w.emu.set({ interval: '0' })
  })
  afterAll(() => w.close())

  it('is under 500 lines', () => {
    expect(SKILL.split('\n').length).toBeLessThan(500)
  })

  it('runs every example of its bash blocks against the emulator, each output matching its schema', async () => {
    const lines = exampleLines(SKILL)
    const runnable = lines.filter((l) => !/<function>|\[--flag/.test(l))
    expect(runnable.length).toBeGreaterThanOrEqual(5)
    let pendingId = ''
    const ran: string[] = []
    for (const line of runnable) {
      const args = words(line.slice(ENTRY.length).replaceAll('<pending_id>', pendingId))
      const fn = args[0]! === 'help' ? 'help' : (args[0] as FunctionName)
      if (fn === 'poll') w.emu.approve() // the user said they approved
      const r = await w.cli(args)
      expect(r.json, `${line}: ${r.stdout}`).toBeTypeOf('object')
      if (fn === 'help' || args.includes('--help')) {
        expect(r.json.ok).toBe(true)
      } else if (r.json.ok) {
        const p = SUCCESS[fn].safeParse(r.json)
        expect(p.success, `${line}: ${JSON.stringify(p.error?.issues)}`).toBe(true)
      } else {
        expect(Failure.safeParse(r.json).success, `${line}: ${r.stdout}`).toBe(true)
        expect.fail(`${line} failed: ${r.stdout}`)
      }
      if (r.json.status === 'pending') pendingId = r.json.pending_id
      ran.push(line)
    }
    expect(ran).toEqual(runnable)
  })
})

leakScan(import.meta.url)
