/**
 * The command line: one JSON object on one line on stdout, exit 0 (ok), 1 (not ok) or
 * 2 (usage). Diagnostics, if any, go to stderr; a stack trace goes nowhere.
 */
import { toFailure, type Result } from '../result.js'
import { COMMANDS } from './commands.js'
import { invoke } from './invoke.js'
import { isSwitchFlag, parseArgs } from './parse.js'

/** The --help text. Built when asked for: it reads every command's flag schemas. */
export const usage = () => `Usage: chatgpt-codex-onboarding <function> [--flag value ...] [--pretty]

Prints one JSON object on stdout. Exit status: 0 ok, 1 failed, 2 usage error.

Functions:
${Object.entries(COMMANDS)
  .map(([name, c]) => {
    const flags = Object.keys(c.flags).map(
      (f) => ` [--${f}${isSwitchFlag(c.flags[f]!) ? '' : ' <value>'}]`,
    )
    return `  ${name}${flags.join('')}\n      ${c.summary}`
  })
  .join('\n')}
`

/** Where the CLI's stdout goes. */
export type Write = (text: string) => void
const toStdout: Write = (text) => void process.stdout.write(text)

/**
 * Runs the CLI for `argv` (without node and script) and returns the exit status. `write` is
 * injected: the bundled entry writes straight to fd 1, since setting up `process.stdout` costs
 * a cold process several ms.
 */
export async function main(argv: string[], write: Write = toStdout): Promise<number> {
  const emit = (result: Result, pretty: boolean, code: number): number => {
    write(`${JSON.stringify(result, null, pretty ? 2 : undefined)}\n`)
    return code
  }
  // Anything that escapes still ends as one JSON line, never a stack trace.
  const crash = (err: unknown) => {
    write(`${JSON.stringify(toFailure(err))}\n`)
    process.exit(1)
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', crash)

  // Hidden internal command: the detached browser sign-in listener (spawned by start; never in --help).
  if (argv[0] === '__listen')
    return (await import('../skill/listener.js')).runListener(argv.slice(1))

  const pretty = argv.includes('--pretty')
  let parsed
  try {
    parsed = parseArgs(argv)
  } catch (err) {
    return emit(toFailure(err), pretty, 2)
  }
  if (parsed.help) {
    write(usage())
    return 0
  }
  const result = await invoke(parsed.fn, parsed.opts, true)
  const render = result.ok ? await COMMANDS[parsed.fn]?.render?.() : undefined
  const text = render?.(result, parsed.opts)
  if (text !== undefined) {
    write(text)
    return 0
  }
  return emit(result, parsed.pretty, result.ok ? 0 : 1)
}
