/**
 * Strict argv parsing: `<function> [--flag value | --switch]...`. Unknown functions or flags,
 * repeated flags, values on switches, missing values and stray words are all usage errors.
 */
import * as z from '../zod.js'
import { SkillError } from '../result.js'
import type { Command } from './command.js'

export interface Parsed {
  fn: string
  opts: Record<string, unknown>
  pretty: boolean
  help: boolean
}

const usage = (message: string) => new SkillError('invalid_argument', message)
const MAX_ARG = 8192

/**
 * Kebab-case CLI flag -> the snake_case option the operation takes (`pending-id` -> `pending_id`).
 * Never throws.
 */
export const optionName = (flag: string) => flag.replace(/-/g, '_')

/**
 * Parses `argv` against `commands` (the full table, or the fast entry's hot subset).
 * @throws SkillError `invalid_argument` (unknown function or flag, a bad value).
 */
export function parseArgs(argv: string[], commands: Record<string, Command>): Parsed {
  const out: Parsed = { fn: '', opts: {}, pretty: false, help: false }
  const words = [...argv]
  for (const w of words) {
    if (w.length > MAX_ARG) throw usage(`An argument is longer than ${MAX_ARG} characters`)
  }
  const fn = words.shift()
  if (fn === undefined || fn === '--help' || fn === '-h' || fn === 'help') {
    return { ...out, help: true }
  }
  const command = Object.hasOwn(commands, fn) ? commands[fn] : undefined
  if (!command)
    throw usage(
      `Unknown function "${printable(fn)}". Functions: ${Object.keys(commands).join(', ')}`,
    )
  out.fn = fn
  const seen = new Set<string>()
  while (words.length) {
    const word = words.shift()!
    if (!word.startsWith('--'))
      throw usage(`Unexpected word "${printable(word)}" (flags start with --)`)
    const [name, inline] = splitInline(word.slice(2))
    if (name === 'pretty' || name === 'help') {
      if (inline !== undefined) throw usage(`--${name} takes no value`)
      if (seen.has(name)) throw usage(`--${name} is given twice`)
      seen.add(name)
      if (name === 'pretty') out.pretty = true
      else out.help = true
      continue
    }
    const schema = Object.hasOwn(command.flags, name) ? command.flags[name] : undefined
    if (!schema) {
      const known = Object.keys(command.flags).map((f) => `--${f}`)
      throw usage(
        `${fn} has no flag --${printable(name)}${known.length ? ` (flags: ${known.join(', ')})` : ''}`,
      )
    }
    if (seen.has(name)) throw usage(`--${name} is given twice`)
    seen.add(name)
    const isSwitch = isSwitchFlag(schema)
    let value: unknown
    if (isSwitch) {
      if (inline !== undefined) throw usage(`--${name} is a switch and takes no value`)
      value = true
    } else {
      value = inline ?? words.shift()
      if (value === undefined || (inline === undefined && String(value).startsWith('--'))) {
        throw usage(`--${name} needs a value`)
      }
    }
    const parsed = schema.safeParse(value)
    if (!parsed.success)
      throw usage(`--${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`)
    out.opts[optionName(name)] = parsed.data
  }
  return out
}

/**
 * A switch is a flag whose schema accepts `true`: it is given without a value.
 * Never throws.
 */
export const isSwitchFlag = (schema: z.ZodMiniType) => schema.safeParse(true).success

function splitInline(s: string): [string, string | undefined] {
  const i = s.indexOf('=')
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)]
}

/** Shows user input in an error safely: bounded, control characters escaped. */
function printable(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s
  return JSON.stringify(cut).slice(1, -1)
}

/**
 * Validates options given to an exported function (the programmatic boundary).
 * @throws SkillError `invalid_argument`.
 */
export function checkOptions(fn: string, command: Command, opts: unknown): Record<string, unknown> {
  if (opts === undefined || opts === null) return {}
  if (typeof opts !== 'object' || Array.isArray(opts)) throw usage(`${fn} takes an options object`)
  const shape: Record<string, z.ZodMiniType> = {}
  for (const [name, schema] of Object.entries(command.flags)) {
    // Programmatic callers pass booleans as booleans.
    shape[optionName(name)] = isSwitchFlag(schema) ? z.optional(z.boolean()) : schema
  }
  const parsed = z.strictObject(shape).safeParse(opts)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw usage(`${fn}: ${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}
