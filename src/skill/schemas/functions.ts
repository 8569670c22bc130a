/**
 * Every function's output: its success schema (a union when it has several shapes) and the
 * error codes its failure may carry. `npm run schemas` (scripts/schemas.ts) turns these into
 * `schemas/<function>.json` and the table in docs/contract.md; test/contract.test.ts validates
 * every output the suite's states produce against them. Adding a field means changing one
 * schema here. Not loaded by the CLI.
 * @see docs/contract.md
 */
import * as z from '../../zod.js'
import type { ErrorCode } from '../../result.js'
import {
  Account,
  BrowserPending,
  ClockSkew,
  Connected,
  DevicePending,
  Gateway,
  Hint,
  HostReport,
  Instant,
  ModelsSource,
  MovedAside,
  Registry,
  Seconds,
  Store,
} from './common.js'

const ok = z.literal(true)

/** What `status` shows besides the sign-in itself. */
const StatusBase = {
  state_dir: z.string(),
  registry: Registry,
  store: Store,
  gateway: Gateway,
  codex_cli: z.optional(
    z.strictObject({ signed_in: z.literal(true), path: z.string(), hint: Hint }),
  ),
  fixed_permissions: z.optional(
    z.array(z.strictObject({ path: z.string(), from: z.string(), to: z.string() })),
  ),
}
const TokenExpiry = {
  access_token_expires_at: z.nullable(Instant),
  access_token_expires_in_s: z.nullable(Seconds),
  clock_skew_s: ClockSkew,
}
const Pending = (extra: Record<string, z.ZodMiniType>) =>
  z.union([
    z.strictObject({ ok, ...DevicePending, ...extra }),
    z.strictObject({ ok, ...BrowserPending, ...extra }),
  ])
const Reused = { reused: z.optional(z.literal(true)), moved_aside: MovedAside }

const Model = z.strictObject({
  id: z.string(),
  slug: z.string(),
  display_name: z.string(),
  context_window: z.nullable(z.number()),
  reasoning_levels: z.array(z.string()),
  default_reasoning: z.nullable(z.string()),
  input: z.array(z.string()),
  /** Service tiers the model offers (`priority` is fast mode); `service_tier` is forwarded only for these. */
  service_tiers: z.array(
    z.strictObject({ id: z.string(), name: z.string(), description: z.optional(z.string()) }),
  ),
})
const UsageWindow = z.strictObject({
  label: z.string(),
  used_percent: z.number(),
  window_minutes: z.nullable(z.number()),
  resets_at: z.nullable(Instant),
})
const Finding = z.strictObject({
  id: z.string(),
  severity: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  hint: z.nullable(Hint),
})
const GatewayRun = {
  pid: z.number(),
  port: z.number(),
  url: z.string(),
  started_at: Instant,
  key_file: z.string(),
}

/** Success schema of each function. */
export const SUCCESS = {
  status: z.union([
    z.strictObject({
      ok,
      status: z.literal('connected'),
      account: Account,
      ...TokenExpiry,
      will_refresh_on_next_use: z.boolean(),
      last_refresh: Instant,
      ...StatusBase,
    }),
    z.strictObject({
      ok,
      status: z.literal('reauth_required'),
      reason: z.enum([
        'refresh_token_expired',
        'refresh_token_reused',
        'refresh_token_invalidated',
        'reauth_required',
      ]),
      account: Account,
      hint: Hint,
      ...StatusBase,
    }),
    Pending(StatusBase),
    z.strictObject({
      ok,
      status: z.literal('disconnected'),
      pending_expired_at: z.optional(Instant),
      hint: Hint,
      ...StatusBase,
    }),
  ]),
  start: z.union([
    z.strictObject({ ok, status: z.literal('connected'), account: Account, hint: Hint }),
    Pending(Reused),
  ]),
  poll: z.union([Connected, Pending({})]),
  callback: Connected,
  refresh: z.strictObject({
    ok,
    status: z.literal('connected'),
    refreshed: z.boolean(),
    hint: z.optional(Hint),
    account: Account,
    ...TokenExpiry,
  }),
  logout: z.strictObject({
    ok,
    status: z.literal('disconnected'),
    was_signed_in: z.boolean(),
    revoked: z.nullable(z.boolean()),
    removed: z.array(z.string()),
    moved_aside: MovedAside,
    ...HostReport,
    gateway: Gateway,
    hint: Hint,
  }),
  doctor: z.strictObject({
    ok,
    health: z.enum(['healthy', 'warnings', 'problems']),
    state_dir: z.string(),
    clock_skew_s: z.nullable(ClockSkew),
    store: Store,
    /** The proxies in use, redacted (`scheme://***@host:port`), and the route of each service; null without one. */
    proxy: z.nullable(
      z.strictObject({
        https_proxy: z.nullable(z.string()),
        http_proxy: z.nullable(z.string()),
        no_proxy: z.nullable(z.string()),
        routes: z.record(z.string(), z.string()),
      }),
    ),
    online: z.boolean(),
    requests: z.string(),
    checks: z.array(z.string()),
    findings: z.array(Finding),
  }),
  models: z.strictObject({
    ok,
    models_source: ModelsSource,
    fetched_at: z.nullable(z.string()),
    stale: z.boolean(),
    stale_reason: z.optional(z.strictObject({ code: z.string(), error: z.string() })),
    count: z.number(),
    models: z.array(Model),
    registry: z.nullable(Registry),
    hosts: HostReport.hosts,
    warnings: HostReport.warnings,
  }),
  usage: z.strictObject({
    ok,
    plan: z.nullable(z.string()),
    limit_reached: z.boolean(),
    windows: z.array(UsageWindow),
    credits: z.strictObject({
      has_credits: z.boolean(),
      unlimited: z.boolean(),
      balance: z.nullable(z.number()),
    }),
    other_limits: z.array(
      z.strictObject({
        name: z.string(),
        limit_reached: z.boolean(),
        windows: z.array(UsageWindow),
      }),
    ),
    fetched_at: Instant,
    usage_source: z.enum(['live', 'cache']),
    hint: z.optional(Hint),
  }),
  token: z.strictObject({
    ok,
    token: z.string(),
    expires_at: z.nullable(Instant),
    account_id: z.string(),
    headers: z.strictObject({ 'chatgpt-account-id': z.string(), originator: z.string() }),
  }),
  verify: z.strictObject({
    ok,
    model: z.string(),
    output_text: z.string(),
    latency_ms: z.number(),
    usage: z.strictObject({ input_tokens: z.number(), output_tokens: z.number() }),
    refreshed: z.boolean(),
    models_source: ModelsSource,
  }),
  serve: z.union([
    z.strictObject({
      ok,
      status: z.literal('running'),
      ...GatewayRun,
      already_running: z.optional(z.literal(true)),
      log_file: z.optional(z.string()),
      ui_url: z.optional(z.string()),
    }),
    z.strictObject({ ok, status: z.literal('running'), url: z.string(), ui_url: z.string() }),
    z.strictObject({ ok, status: z.literal('stopped'), pid: z.number(), port: z.number() }),
    z.strictObject({
      ok,
      status: z.literal('not_running'),
      removed_stale_record: z.optional(z.literal(true)),
    }),
  ]),
  'gateway-key': z.strictObject({ ok, key: z.string(), key_file: z.string() }),
} satisfies Record<string, z.ZodMiniType>

export type FunctionName = keyof typeof SUCCESS

/** Codes any function may return: bad options, a bad environment, a bug. */
export const COMMON_ERRORS: ErrorCode[] = [
  'invalid_argument',
  'invalid_config',
  'interrupted',
  'internal_error',
]
const STATE: ErrorCode[] = [
  'state_corrupt',
  'state_unsafe',
  'state_readonly',
  'disk_full',
  'lock_timeout',
]
const DEAD: ErrorCode[] = [
  'not_signed_in',
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'reauth_required',
  'account_mismatch',
]
const WIRE: ErrorCode[] = [
  'upstream_error',
  'upstream_rejected',
  'rate_limited',
  'invalid_response',
  'timeout',
  'network_error',
]
const SIGNIN: ErrorCode[] = [
  'no_pending_login',
  'device_code_expired',
  'access_denied',
  'state_mismatch',
  'listener_failed',
  ...DEAD,
  ...WIRE,
  ...STATE,
]

/** The error codes each function's failure may carry (besides {@link COMMON_ERRORS}). */
export const ERRORS: Record<FunctionName, ErrorCode[]> = {
  status: ['state_corrupt', 'state_unsafe', 'state_readonly'],
  start: ['device_login_unavailable', 'listener_failed', ...WIRE, ...STATE],
  poll: ['pending_id_mismatch', ...SIGNIN],
  callback: SIGNIN,
  refresh: [...DEAD, ...WIRE, ...STATE, 'codex_api_key_mode'],
  logout: STATE,
  doctor: [],
  models: [...DEAD, ...STATE],
  usage: [...DEAD, ...WIRE, ...STATE],
  token: [...DEAD, ...WIRE, ...STATE, 'codex_api_key_mode'],
  verify: [
    'model_not_available',
    'usage_limit_reached',
    'context_length_exceeded',
    ...DEAD,
    ...WIRE,
    ...STATE,
  ],
  serve: ['gateway_not_running', ...STATE],
  'gateway-key': STATE,
}
