/**
 * Runs one exported function by name: validate options, build the context, load the command,
 * settle into a result. Used by both the programmatic exports and the CLI.
 */
import { settle, type Result } from '../result.js'
import { COMMANDS } from './commands.js'
import { checkOptions } from './parse.js'
import { execute } from './run.js'

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
