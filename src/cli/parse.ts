/**
 * Strict argv parsing: `<function> [--flag value | --switch]...`. Unknown functions or flags,
 * repeated flags, values on switches, missing values and stray words are all usage errors.
 */
import * as z from '../zod.js'
import { run, SkillError } from '../result.js'
import type { Command } from './command.js'

export interface Parsed {
  fn: string
  opts: Record<string, unknown>
  pretty: boolean
  help: boolean
}

const usage = (message: string, fn?: string) =>
  new SkillError('invalid_argument', message, {
    hint: `Run ${fn ? run('help', fn) : run('help')} to see ${fn ? 'its flags, their values and an example' : 'the functions'}.`,
  })
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
  if (fn === undefined || fn === '--help' || fn === '-h') return { ...out, help: true }
  // `help <function>`: that function's help; `help` alone: the global text.
  if (fn === 'help') {
    const [name, ...rest] = words.filter((w) => w !== '--pretty')
    if (name === undefined) return { ...out, help: true, pretty: words.includes('--pretty') }
    if (rest.length || !Object.hasOwn(commands, name))
      throw usage(`help takes one function name. Functions: ${Object.keys(commands).join(', ')}`)
    return { ...out, fn: name, help: true, pretty: words.includes('--pretty') }
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
      throw usage(`Unexpected word "${printable(word)}" (flags start with --)`, fn)
    const [name, inline] = splitInline(word.slice(2))
    if (name === 'pretty' || name === 'help') {
      if (inline !== undefined) throw usage(`--${name} takes no value`, fn)
      if (seen.has(name)) throw usage(`--${name} is given twice`, fn)
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
        fn,
      )
    }
    if (seen.has(name)) throw usage(`--${name} is given twice`, fn)
    seen.add(name)
    const isSwitch = isSwitchFlag(schema)
    let value: unknown
    if (isSwitch) {
      if (inline !== undefined) throw usage(`--${name} is a switch and takes no value`, fn)
      value = true
    } else {
      value = inline ?? words.shift()
      if (value === undefined || (inline === undefined && String(value).startsWith('--'))) {
        throw usage(`--${name} needs a value`, fn)
      }
    }
    const parsed = schema.safeParse(value)
    if (!parsed.success)
      throw usage(`--${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`, fn)
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
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw usage(`${fn} takes an options object`, fn)
  const shape: Record<string, z.ZodMiniType> = {}
  for (const [name, schema] of Object.entries(command.flags)) {
    // Programmatic callers pass booleans as booleans.
    shape[optionName(name)] = isSwitchFlag(schema) ? z.optional(z.boolean()) : schema
  }
  const parsed = z.strictObject(shape).safeParse(opts)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw usage(`${fn}: ${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`, fn)
  }
  return parsed.data
}
