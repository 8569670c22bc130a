/**
 * What a command is (flags validated with zod, a lazy loader), and the two commands hosts and
 * agents call most: `status` and `token`. They live here, apart from the full table
 * (commands.ts), so the fast entry can bundle them alone (src/cli/hot.ts).
 */
import * as z from '../zod.js'
import type { Ctx } from '../context.js'

/** A boolean flag takes no value on the command line. */
export const flag = z.optional(z.literal(true))

export interface Command {
  summary: string
  /** Flag name (kebab-case, as typed) -> schema. Booleans are `flag`. */
  flags: Record<string, z.ZodMiniType>
  /** Loads the operation: its code is evaluated only when the command runs. */
  load: () => Promise<(ctx: Ctx, opts: Record<string, unknown>) => Promise<object>>
  /** Optional non-JSON rendering of a success (the `token` helper's raw formats). */
  render?: () => Promise<
    (result: Record<string, unknown>, opts: Record<string, unknown>) => string | undefined
  >
}

/** `status` and `token`: the calls made before every agent step and every model request. */
export const HOT_COMMANDS = {
  status: {
    summary: 'Signed in? Who, which plan, token expiry, pending login, models. No network.',
    flags: {},
    load: async () => (await import('../skill/status.js')).status,
  },
  token: {
    summary:
      'Credential helper FOR HOST PROCESSES ONLY: prints a bearer token. Never run it in a chat. --format raw|openclaw-exec for hosts.',
    flags: { format: z.optional(z.enum(['json', 'raw', 'openclaw-exec'])) },
    load: async () => (await import('../skill/token.js')).token,
    render: async () => (await import('../skill/token.js')).renderToken,
  },
} satisfies Record<string, Command>
