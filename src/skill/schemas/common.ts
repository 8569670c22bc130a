/**
 * The output vocabulary: one zod schema per field that appears in more than one function's
 * result, so a name has one meaning and one JSON type everywhere (docs/contract.md, the
 * glossary). These schemas describe outputs for the docs (`npm run schemas`) and the tests;
 * the CLI never loads them (the fast entry's bundles stay as they were).
 * @see docs/contract.md#glossary
 */
import * as z from '../../zod.js'
import { ERROR_CODES } from '../../result.js'

/** An instant: ISO 8601 in UTC (`2026-12-03T09:12:00.000Z`). */
export const Instant = z.string().check(z.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/))
/** A count of seconds (a wait or a remaining lifetime), a JSON number. */
export const Seconds = z.number()
/** `clock_skew_s`: this machine's clock minus the issuer's, in seconds, measured when tokens arrived. */
export const ClockSkew = z.number()
/** Advice for the agent: what to do next or tell the user, with real values and commands. */
export const Hint = z.string().check(z.minLength(1))
export const ErrorCode = z.enum(ERROR_CODES)

/** `account`: who is signed in (never a token). */
export const Account = z.strictObject({
  email: z.nullable(z.string()),
  plan: z.nullable(z.string()),
  account_id: z.string(),
})

/** `registry`: the provider file hosts read; `version`/`changed` when this call wrote it. */
export const Registry = z.strictObject({
  path: z.string(),
  state: z.nullable(z.enum(['signed-in', 'signed-out', 'reauth_required'])),
  models: z.array(z.string()),
  updated_at: z.nullable(Instant),
  version: z.optional(z.number()),
  changed: z.optional(z.boolean()),
})

/** `store`: where the credentials live (`file`: this tool's; `codex`: the Codex CLI's). */
export const Store = z.strictObject({ kind: z.enum(['file', 'codex']), path: z.string() })

/** `gateway`: the loopback gateway as recorded (no request is made to learn it). */
export const Gateway = z.strictObject({
  running: z.boolean(),
  url: z.optional(z.string()),
  pid: z.optional(z.number()),
  port: z.optional(z.number()),
  /** logout only: true when the gateway keeps running and now refuses with 401. */
  refusing: z.optional(z.boolean()),
})

/** `models_source`: where the model catalog came from. */
export const ModelsSource = z.enum(['live', 'cache', 'fallback'])

/** A host file this call wrote (pi, OpenClaw); its shape is the host adapters'. */
export const HostFile = z.looseObject({
  path: z.string(),
  action: z.enum(['written', 'unchanged', 'skipped']),
})

/** What registering the models reported: the fields sign-in, models and logout share. */
export const HostReport = {
  registry: z.optional(Registry),
  models_source: z.optional(ModelsSource),
  hosts: z.optional(z.record(z.string(), HostFile)),
  warnings: z.optional(z.array(z.string())),
}

/** `moved_aside`: unreadable state files kept under a new name (never deleted). */
export const MovedAside = z.optional(z.array(z.string()))

/**
 * The failure envelope every function shares: `error` (what went wrong), `code` (stable),
 * `hint` (what to do, with real values), `retryable`, plus the code's own fields.
 */
export const Failure = z.looseObject({
  ok: z.literal(false),
  error: z.string(),
  code: ErrorCode,
  hint: Hint,
  retryable: z.boolean(),
  /** rate_limited, usage_limit_reached: seconds until a retry is accepted (null: unknown). */
  retry_after_s: z.optional(z.nullable(Seconds)),
  /** usage_limit_reached: when the limit resets. */
  resets_at: z.optional(z.nullable(Instant)),
  /** pending_id_mismatch: the current sign-in's pending_id. */
  pending_id: z.optional(z.string()),
  /** proxy_error: the proxy, redacted (`scheme://***@host:port`), and its answer's status if any. */
  proxy: z.optional(z.string()),
  proxy_status: z.optional(z.nullable(z.number())),
  /** Upstream failures: the backend's own error code, when it gave one. */
  upstream_code: z.optional(z.nullable(z.string())),
  /** state_corrupt and friends: the file concerned. */
  path: z.optional(z.string()),
})

/** A pending device sign-in: `start`, `status` and `poll` show the same object. */
export const DevicePending = {
  status: z.literal('pending'),
  method: z.literal('device'),
  verification_url: z.string(),
  user_code: z.string(),
  pending_id: z.string(),
  expires_at: Instant,
  expires_in_s: Seconds,
  retry_after_s: Seconds,
  hint: Hint,
}

/** A pending browser sign-in: `start`, `status` and `poll` show the same object. */
export const BrowserPending = {
  status: z.literal('pending'),
  method: z.literal('browser'),
  authorize_url: z.string(),
  pending_id: z.string(),
  expires_at: Instant,
  expires_in_s: Seconds,
  retry_after_s: Seconds,
  listener: z.nullable(z.strictObject({ port: z.number(), running: z.boolean() })),
  hint: Hint,
}

/** A sign-in that just finished (poll, callback). */
export const Connected = z.strictObject({
  ok: z.literal(true),
  status: z.literal('connected'),
  method: z.optional(z.literal('browser')),
  account: Account,
  /** poll only: the sign-in had already finished; nothing was polled. */
  already_connected: z.optional(z.literal(true)),
  ...HostReport,
  hint: Hint,
})
