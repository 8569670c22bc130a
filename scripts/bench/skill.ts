/**
 * The skill's own rows: each call measured via the fast entry (`node dist/cli.cjs`) and via
 * `npx tsx exports.ts`, with the number of requests each call made (counted by the emulator).
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Cold, Run } from './measure.js'
import { FAST, ROOT, parse, type World } from './world.js'

export interface Row {
  name: string
  /** How the row was set up, for the table's notes. */
  note: string
  fast: Cold
  tsx: Cold
  /** Requests every call of this row must make (checked on every run). */
  requests: number
}

/** A check that the run printed ok:true and what `want` accepts (never prints the output: token). */
function expect(name: string, want: (json: Record<string, unknown>) => boolean) {
  return (run: Run) => {
    const json = parse(run)
    if (json?.ok !== true || !want(json)) {
      const shown = json
        ? { ok: json.ok, code: json.code, status: json.status, error: json.error }
        : run.stderr
      throw new Error(`${name}: unexpected result ${JSON.stringify(shown)}`)
    }
  }
}

function both(
  w: World,
  args: string[],
  env: Record<string, string>,
  extra: Pick<Cold, 'before' | 'check'>,
): Pick<Row, 'fast' | 'tsx'> {
  return {
    fast: { argv: [process.execPath, FAST, ...args], env, cwd: ROOT, ...extra },
    // What a user types from a checkout; npx and tsx are part of that cost.
    tsx: { argv: ['npx', 'tsx', 'exports.ts', ...args], env, cwd: ROOT, ...extra },
  }
}

/** The rows, in table order. Call after {@link makeWorld} signed `w.signedIn` in. */
export async function skillRows(w: World): Promise<Row[]> {
  // models: one live fetch fills the 300 s cache; re-filled untimed if a slow run nears expiry.
  let primed = 0
  const prime = async () => {
    if (Date.now() - primed < 200_000) return
    await w.fast(['models', '--force'], w.signedIn)
    primed = Date.now()
  }
  await prime()
  return [
    {
      name: 'status',
      note: 'signed in; reads disk only',
      ...both(w, ['status'], w.signedIn, {
        check: expect('status', (j) => j.status === 'connected'),
      }),
      requests: 0,
    },
    {
      name: 'token',
      note: 'signed in, warm token (the host credential helper)',
      ...both(w, ['token'], w.signedIn, {
        check: expect('token', (j) => typeof j.token === 'string'),
      }),
      requests: 0,
    },
    {
      name: 'models',
      note: 'cache hit (fetched < 300 s ago)',
      ...both(w, ['models'], w.signedIn, {
        before: prime,
        check: expect('models', (j) => j.models_source === 'cache'),
      }),
      requests: 0,
    },
    {
      name: 'start',
      note: 'signed out, no pending login: asks the emulator for a device code',
      ...both(w, ['start'], w.flow, {
        // Untimed: forget the previous run's pending login so this one asks for a new code.
        before: async () =>
          rmSync(join(w.flow.CHATGPT_CODEX_HOME!, 'pending.json'), { force: true }),
        check: expect('start', (j) => j.status === 'pending'),
      }),
      requests: 1,
    },
    {
      name: 'poll',
      note: 'a fresh device login the user has not approved yet: one check',
      ...both(w, ['poll'], w.flow, {
        // Untimed: a new login, so the poll is allowed now and the emulator says "pending".
        before: async () => void (await w.fast(['start', '--force'], w.flow)),
        check: expect('poll', (j) => j.status === 'pending'),
      }),
      requests: 1,
    },
  ]
}
