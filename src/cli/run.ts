/**
 * The command line's core, shared by the full entry (main.ts) and the fast entry's hot subset
 * (hot.ts): parse argv against a command table, run the command, print one JSON object on one
 * line. Exit status 0 (ok), 1 (not ok) or 2 (usage). Nothing here knows the full table, so the
 * hot bundle does not carry every command.
 */
import { createContext } from '../context.js'
import { settle, toFailure, type Result } from '../result.js'
import { reportSignalsAsResults } from '../signals.js'
import type { Command } from './command.js'
import { parseArgs } from './parse.js'

/** Where the CLI's stdout goes. */
export type Write = (text: string) => void

/** Builds the context, loads the command and runs it. Throws what the operation throws. */
export async function execute(
  command: Command,
  options: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const ctx = createContext()
  const op = await command.load()
  return (await op(ctx, options)) as Record<string, unknown>
}

/**
 * Anything that escapes still ends as one JSON line on stdout, never a stack trace.
 * Never throws: a crash becomes an `internal_error` result.
 */
export function catchCrashes(write: Write): void {
  const crash = (err: unknown) => {
    write(`${JSON.stringify(toFailure(err))}\n`)
    process.exit(1)
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', crash)
}

/**
 * Runs `argv` (without node and script) against `commands` and returns the exit status.
 * `usage` gives the help: the global text for `fn` '', else that function's help object.
 * Never throws: failures are results (`invalid_argument` for bad argv, else the operation's codes).
 */
export async function runCli(
  argv: string[],
  write: Write,
  commands: Record<string, Command>,
  usage: (fn: string) => string | Promise<string | object>,
): Promise<number> {
  const emit = (result: Result, pretty: boolean, code: number): number => {
    write(`${JSON.stringify(result, null, pretty ? 2 : undefined)}\n`)
    return code
  }
  const pretty = argv.includes('--pretty')
  let parsed
  try {
    parsed = parseArgs(argv, commands)
  } catch (err) {
    return emit(toFailure(err), pretty, 2)
  }
  if (parsed.help) {
    // The global help is text; a function's help is one JSON object (readable with --pretty).
    const help = await usage(parsed.fn)
    if (typeof help === 'string') write(help)
    else emit({ ok: true, ...help }, parsed.pretty, 0)
    return 0
  }
  const command = commands[parsed.fn]!
  // A signal held during a token write ends a one-shot call with an `interrupted` result
  // (src/signals.ts). The gateway keeps its own SIGTERM/SIGINT handling: the signal is re-sent.
  if (parsed.fn !== 'serve') reportSignalsAsResults()
  const result = await settle(() => execute(command, parsed.opts))
  const render = result.ok ? await command.render?.() : undefined
  const text = render?.(result, parsed.opts)
  if (text !== undefined) {
    write(text)
    return 0
  }
  // Stopped by a signal after a token write: the status a shell expects (128 + n), as if killed.
  const interrupted = !result.ok && result.code === 'interrupted' ? result.exit_code : undefined
  return emit(
    result,
    parsed.pretty,
    result.ok ? 0 : typeof interrupted === 'number' ? interrupted : 1,
  )
}
