/**
 * The command line over the full command table: one JSON object on one line on stdout, exit 0
 * (ok), 1 (not ok) or 2 (usage). Diagnostics, if any, go to stderr; a stack trace goes nowhere.
 */
import { COMMANDS } from './commands.js'
import { isSwitchFlag } from './parse.js'
import { catchCrashes, runCli, type Write } from './run.js'

export type { Write }

/**
 * The help: for a function, its help object (src/cli/help.ts, loaded only then); else the global
 * text. Built when asked for: it reads every command's flag schemas.
 */
export const usage = async (fn = ''): Promise<string | object> => {
  if (fn && Object.hasOwn(COMMANDS, fn))
    return (await import('./help.js')).functionHelp(fn, COMMANDS[fn]!)
  return globalUsage()
}

const globalUsage = () => `Usage: chatgpt-codex-onboarding <function> [--flag value ...] [--pretty]

Prints one JSON object on stdout (token --format raw|openclaw-exec and gateway-key, the
credential helpers for host processes, print a bare credential). Exit status: 0 ok, 1 failed,
2 usage error. Help of one function, as JSON: help <function> (or <function> --help).
Output schemas: schemas/<function>.json; field glossary: docs/contract.md.

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

const toStdout: Write = (text) => void process.stdout.write(text)

/**
 * Runs the CLI for `argv` (without node and script) and returns the exit status. `write` is
 * injected: the bundled entry writes straight to fd 1, since setting up `process.stdout` costs
 * a cold process several ms.
 * Never throws: every failure is printed as a result and mapped to the exit status.
 */
export async function main(argv: string[], write: Write = toStdout): Promise<number> {
  catchCrashes(write)
  // Hidden internal command: the detached browser sign-in listener (spawned by start; never in --help).
  if (argv[0] === '__listen')
    return (await import('../signin/listener.js')).runListener(argv.slice(1))
  return runCli(argv, write, COMMANDS, usage)
}
