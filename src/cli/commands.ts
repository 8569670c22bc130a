/**
 * The command table: each exported function, its CLI flags (validated with zod) and a lazy
 * loader, so a cold process loads only the code of the command it runs.
 */
import * as z from '../zod.js'
import { flag, HOT_COMMANDS, type Command } from './command.js'

const pendingId = z
  .string()
  .check(
    z.regex(/^pl_[A-Za-z0-9_-]{1,64}$/, 'pending_id looks like pl_… (the value start returned)'),
  )
const slug = z
  .string()
  .check(
    z.regex(
      /^(openai-codex\/)?[a-z0-9][a-z0-9._-]{0,63}$/,
      'a model id like openai-codex/gpt-5.4 or gpt-5.4',
    ),
  )

export const COMMANDS: Record<string, Command> = {
  status: HOT_COMMANDS.status,
  start: {
    summary: 'Begin sign-in; returns the URL and code for the user. Never polls.',
    flags: { force: flag, method: z.optional(z.enum(['device', 'browser'])) },
    load: async () => (await import('../skill/start.js')).start,
  },
  poll: {
    summary: 'One check of the pending sign-in. Only after the user says they approved.',
    flags: { 'pending-id': z.optional(pendingId) },
    load: async () => (await import('../skill/poll.js')).poll,
  },
  callback: {
    summary:
      'Browser sign-in paste fallback: finish with the address the browser ended on (http://127.0.0.1:1455/auth/callback?code=...).',
    flags: { url: z.string().check(z.minLength(1), z.maxLength(8192)) },
    load: async () => (await import('../skill/callback.js')).callback,
  },
  refresh: {
    summary: 'Rotate the tokens now (under the cross-process lock).',
    flags: {},
    load: async () => (await import('../skill/refresh.js')).refresh,
  },
  logout: {
    summary: 'Revoke (best effort) and delete the stored sign-in.',
    flags: {},
    load: async () => (await import('../skill/logout.js')).logout,
  },
  doctor: {
    summary:
      'Read-only health report (modes, locks, clock skew, env, registry). No request unless --online.',
    flags: { online: flag },
    load: async () => (await import('../skill/doctor.js')).doctor,
  },
  models: {
    summary:
      'The openai-codex/* models this sign-in can use (cached 300 s; --force asks the server). Updates the registry.',
    flags: { force: flag },
    load: async () => (await import('../skill/models.js')).models,
  },
  usage: {
    summary:
      'Plan, usage windows ("5h", "weekly") and credits (cached 60 s; --force asks the server).',
    flags: { force: flag },
    load: async () => (await import('../skill/usage.js')).usage,
  },
  token: HOT_COMMANDS.token,
  verify: {
    summary:
      'Prove a model answers: one tiny request ("reply with OK") through the signed-in account.',
    flags: { model: z.optional(slug) },
    load: async () => (await import('../skill/verify.js')).verify,
  },
  serve: {
    summary:
      'OpenAI-compatible gateway on 127.0.0.1 (foreground; --detach in the background; --stop; --ui-url for a fresh page link).',
    flags: {
      port: z.optional(
        z.pipe(
          z.pipe(
            z.string().check(z.regex(/^\d{1,5}$/, 'a port number (0 picks a free one)')),
            z.transform(Number),
          ),
          z.number().check(z.lte(65535, 'a port is at most 65535')),
        ),
      ),
      detach: flag,
      stop: flag,
      'ui-url': flag,
      'cors-origin': z.optional(
        z
          .string()
          .check(
            z.maxLength(200),
            z.regex(
              /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/,
              'an origin like http://localhost:3000',
            ),
          ),
      ),
    },
    load: async () => (await import('../skill/serve.js')).serve,
  },
  'gateway-key': {
    summary:
      "FOR HOST PROCESSES ONLY: prints the gateway's local key (the registry's keyCommand). Never run it in a chat.",
    flags: {},
    load: async () => (await import('../skill/serve.js')).gatewayKey,
    render: async () => (await import('../skill/serve.js')).renderKey,
  },
}

export { flag, pendingId, slug, type Command }
