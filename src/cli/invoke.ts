/**
 * Runs one exported function by name: validate options, build the context, load the command,
 * settle into a result. Used by both the programmatic exports and the CLI.
 */
import { createContext } from '../context.js'
import { settle, type Result } from '../result.js'
import { COMMANDS } from './commands.js'
import { checkOptions } from './parse.js'

export function invoke(
  fn: string,
  opts: unknown,
  validated = false,
): Promise<Result<Record<string, unknown>>> {
  return settle(async () => {
    const options = validated ? (opts as Record<string, unknown>) : checkOptions(fn, opts)
    const ctx = createContext()
    const op = await COMMANDS[fn]!.load()
    return (await op(ctx, options)) as Record<string, unknown>
  })
}
