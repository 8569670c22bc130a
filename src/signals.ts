/**
 * The critical section of a token rotation: from the moment a refresh (or code exchange) is
 * sent until its answer is stored, SIGINT, SIGTERM and SIGHUP are held, then acted on.
 *
 * Why: the issuer rotates the refresh token when it answers. A process that dies between that
 * answer and the write has spent the only token it had, and the next call gets
 * `refresh_token_reused`: Ctrl-C, a host timing out `token` (SIGTERM) or a closed terminal
 * (SIGHUP) signed the user out (issue 16: 17 of 19 SIGINTs, 13 of 16 SIGTERMs). Holding these
 * signals for the few hundred milliseconds of the exchange costs nothing; only SIGKILL and power
 * loss remain (docs/reliability.md).
 *
 * After the section a held signal is acted on:
 * - in a one-shot CLI call ({@link reportSignalsAsResults}; not `serve`), the operation ends
 *   with a coded `interrupted` failure (`signal`, `exit_code` = 128 + n), which the CLI prints
 *   before exiting with that status;
 * - otherwise (a host importing this library, the gateway, the sign-in listener) the signal is
 *   sent again to this process once the original handlers are back, so whatever would have
 *   happened happens, only after the write.
 */
import { constants } from 'node:os'
import { SkillError } from './result.js'

const HELD = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
type Held = (typeof HELD)[number]

// On globalThis, not in a module variable: the bundles initialise modules lazily, and a late
// first import of this module (from the refresh path) must not reset a flag the CLI set early.
const AS_RESULT = Symbol.for('chatgpt-codex-onboarding.signals-as-results')
const flags = globalThis as { [AS_RESULT]?: boolean }
let depth = 0
let caught: Held | undefined

/** Declares this process a CLI call: a held signal becomes an `interrupted` result. */
export function reportSignalsAsResults(): void {
  flags[AS_RESULT] = true
}

/** The exit status a shell gives a process killed by `sig` (128 + its number). */
export const signalExitCode = (sig: NodeJS.Signals): number => 128 + (constants.signals[sig] ?? 0)

const note = (sig: NodeJS.Signals) => {
  caught ??= sig as Held
}

/** The handlers held sections replaced, kept while any section runs. */
let saved = new Map<Held, NodeJS.SignalsListener[]>()

/**
 * Runs `fn` with SIGINT, SIGTERM and SIGHUP held (see the module comment). Overlapping calls (a
 * nested one, or two refreshes in one gateway process) share one window: the handlers go back,
 * and a held signal is acted on, when the last of them ends.
 * @throws SkillError `interrupted` (CLI calls, when a signal arrived), else what `fn` throws.
 */
export async function holdSignals<T>(fn: () => Promise<T>): Promise<T> {
  if (depth++ === 0) {
    saved = new Map()
    for (const sig of HELD) {
      const kept = process.listeners(sig)
      saved.set(sig, kept)
      process.removeAllListeners(sig)
      // One listener more than were there. signal-exit, which the lock and write libraries load
      // (v3 and v4), acts when it believes its own listeners are the only ones, counting its
      // handlers across both versions: with v3's listener swapped for one of ours, the v4
      // listener the write adds inside the section saw "alone", ran write-file-atomic's exit
      // cleanup and deleted the temp file mid-write (ENOENT at the rename). Ours must outnumber.
      for (let i = 0; i <= kept.length; i++) process.on(sig, note)
    }
  }
  let ok = false
  let value: T | undefined
  let error: unknown
  try {
    value = await fn()
    ok = true
  } catch (err) {
    error = err
  }
  if (--depth > 0) {
    if (!ok) throw error
    return value as T
  }
  for (const sig of HELD) {
    while (process.listeners(sig).includes(note)) process.removeListener(sig, note)
    for (const l of saved.get(sig) ?? []) process.on(sig, l)
  }
  const sig = caught
  caught = undefined
  if (sig) {
    // A CLI call ends with a result; the listeners it may have (signal-exit's, loaded by the lock
    // and write libraries) only clean up, which the normal exit path does as well.
    if (flags[AS_RESULT] === true) throw interrupted(sig, ok, error)
    // Delivered again now that the original handlers are back (default: the process ends).
    process.kill(process.pid, sig)
  }
  if (!ok) throw error
  return value as T
}

function interrupted(sig: Held, completed: boolean, error: unknown): SkillError {
  const outcome = completed
    ? 'after its result was saved'
    : `after the operation failed (${error instanceof SkillError ? error.code : errorName(error)}); nothing it received was lost`
  return new SkillError(
    'interrupted',
    `Stopped by ${sig}, held until the write ended, ${outcome}`,
    {
      retryable: false,
      extra: { signal: sig, exit_code: signalExitCode(sig), completed },
    },
  )
}

/** A thrown value's code (`ENOENT`, ...) or class name, never its message (it may hold a path). */
const errorName = (error: unknown): string => {
  const e = error as { code?: unknown; name?: unknown } | undefined
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error'
}
