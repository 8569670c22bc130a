/**
 * Runs one exported function by name: validate options, build the context, load the command,
 * settle into a result. Used by both the programmatic exports and the CLI.
 */
import { settle, type Result } from '../result.js'
import { COMMANDS } from './commands.js'
import { checkOptions } from './parse.js'
import { execute } from './run.js'

/**
 * Runs the exported function `fn` with `opts` (checked against its flag schema unless
 * `validated`) and settles it into a result; never throws. A failure carries the operation's
 * code, or `invalid_argument` for options that do not fit the schema.
 */
export function invoke(
  fn: string,
  opts: unknown,
  validated = false,
): Promise<Result<Record<string, unknown>>> {
  return settle(async () => {
    const command = COMMANDS[fn]!
    return execute(
      command,
      validated ? (opts as Record<string, unknown>) : checkOptions(fn, command, opts),
    )
  })
}
