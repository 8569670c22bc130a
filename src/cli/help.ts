/**
 * Help per function: `<function> --help` and `help <function>` print one JSON object with the
 * function's flags (type, allowed values, what each does) and one example, with the command's
 * real path. Loaded only when help is asked for, so the fast entry's bundles carry none of it.
 * @see docs/contract.md
 */
import type * as z from '../zod.js'
import { commandLine } from '../proc.js'
import type { Command } from './command.js'

/** What each flag does, and one example per function (the flags' schemas give the rest). */
const DOCS: Record<string, { flags?: Record<string, string>; example: string[]; note?: string }> = {
  status: { example: [] },
  start: {
    flags: {
      force: 'Start over: drop a live pending sign-in (and a signed-in one) and begin again.',
      method:
        'device (default): a code the user types on a page; browser: a link with a local callback.',
    },
    example: ['--method', 'device'],
  },
  poll: {
    flags: {
      'pending-id': 'The pending_id start returned; refused when another sign-in replaced it.',
    },
    example: ['--pending-id', 'pl_AbC123'],
  },
  callback: {
    flags: { url: 'The full address the browser ended on after the user approved.' },
    example: ['--url', "'http://127.0.0.1:1455/auth/callback?code=...&state=...'"],
  },
  refresh: { example: [] },
  logout: { example: [] },
  doctor: {
    flags: { online: 'Also make one authenticated usage call to prove the token works.' },
    example: ['--online'],
  },
  models: {
    flags: { force: 'Ask the server now instead of the 300 s cache.' },
    example: ['--force'],
  },
  usage: {
    flags: { force: 'Ask the server now instead of the 60 s cache.' },
    example: [],
  },
  token: {
    flags: {
      format:
        'json (default): one JSON object; raw: the bare token on one line; openclaw-exec: the OpenClaw exec protocol.',
    },
    example: ['--format', 'raw'],
    note: 'Credential helper for host processes: its output is a token. Never run it in a chat or print its result.',
  },
  verify: {
    flags: {
      model: 'A model id from models (openai-codex/<slug> or <slug>); default the first listed.',
    },
    example: ['--model', 'openai-codex/gpt-5.4'],
  },
  serve: {
    flags: {
      port: 'Port on 127.0.0.1 (0, the default, picks a free one).',
      detach: 'Run in the background and return its url, pid, port, key_file and a page link.',
      stop: 'Stop the running gateway.',
      'ui-url': 'Ask the running gateway for a fresh one-time page link.',
      'cors-origin': 'Allow browser requests from this origin.',
    },
    example: ['--detach'],
  },
  'gateway-key': {
    example: [],
    note: "Credential helper for host processes: prints the gateway's local key, bare, on one line (not JSON). Never run it in a chat.",
  },
}

type Def = { type: string; innerType?: z.ZodMiniType; entries?: object; values?: unknown[] }
const defOf = (s: z.ZodMiniType) => (s as unknown as { _zod: { def: Def } })._zod.def

/** A flag's type and allowed values, read from its zod schema. Never throws. */
function describe(schema: z.ZodMiniType) {
  let def = defOf(schema)
  const required = def.type !== 'optional'
  if (def.type === 'optional' && def.innerType) def = defOf(def.innerType)
  if (def.type === 'literal' && def.values?.[0] === true) return { type: 'switch', required }
  if (def.type === 'enum')
    return { type: 'string', values: Object.values(def.entries ?? {}), required }
  if (def.type === 'pipe') return { type: 'number', required }
  return { type: 'string', required }
}

/**
 * The help object of one function, with the real command (`node <abs>/dist/cli.cjs ...`).
 * Never throws.
 */
export function functionHelp(name: string, command: Command) {
  const doc = DOCS[name] ?? { example: [] }
  const flags = Object.entries(command.flags).map(([flag, schema]) => ({
    flag: `--${flag}`,
    ...describe(schema),
    description: doc.flags?.[flag] ?? '',
  }))
  const usage = [
    commandLine(name),
    ...flags.map((f) =>
      f.type === 'switch'
        ? `[${f.flag}]`
        : `${f.required ? '' : '['}${f.flag} <${'values' in f ? (f.values as string[]).join('|') : f.type}>${f.required ? '' : ']'}`,
    ),
    '[--pretty]',
  ].join(' ')
  return {
    function: name,
    summary: command.summary,
    usage,
    flags,
    example: commandLine(name, ...doc.example),
    output:
      name === 'gateway-key' ? 'the bare key on one line' : `one JSON object: schemas/${name}.json`,
    ...(doc.note ? { hint: doc.note } : {}),
  }
}
