/**
 * On-disk shapes. Every file carries `schemaVersion`; unknown keys are kept on read-modify-write
 * by the writers that need it (codex store), ignored otherwise.
 */
import * as z from '../zod.js'

/** A non-empty string. One instance, reused: schemas are immutable, and each costs a cold process. */
const text = z.string().check(z.minLength(1))

export const Tokens = z.object({
  id_token: text,
  access_token: text,
  refresh_token: text,
  account_id: text,
})
export type Tokens = z.infer<typeof Tokens>

export const Account = z.object({
  email: z.nullable(z.string()),
  plan: z.nullable(z.string()),
  account_id: z.string(),
  user_id: z.nullable(z.string()),
})
export type Account = z.infer<typeof Account>

/** Why a sign-in ended (the refresh token is dead): the user must sign in again. */
export const Reauth = z.object({
  code: z.enum([
    'refresh_token_expired',
    'refresh_token_reused',
    'refresh_token_invalidated',
    'reauth_required',
  ]),
  at: z.number(),
})
export type Reauth = z.infer<typeof Reauth>

/** Signed-in state, store-neutral. Times are epoch milliseconds. */
export const Credentials = z.object({
  schemaVersion: z.literal(1),
  tokens: Tokens,
  account: Account,
  /** `exp` of the access token, when it could be read. */
  access_expires_at: z.nullable(z.number()),
  /** `iat` of the access token: the issuer's clock, used by doctor for skew. */
  access_issued_at: z.nullable(z.number()),
  last_refresh: z.number(),
  /**
   * The issuer's clock minus ours (ms), measured when these tokens arrived (the access token's
   * `iat` against our clock at receipt). Added without a schemaVersion bump: older files lack it
   * (src/auth/clock.ts derives it), older builds ignore it. Every expiry decision uses it.
   */
  clock_offset_ms: z.optional(z.nullable(z.number())),
  issuer: z.string(),
  /** Set when the refresh token is dead: the user must sign in again. */
  reauth: z._default(z.nullable(Reauth), null),
})
export type Credentials = z.infer<typeof Credentials>

/**
 * A sign-in in progress. Built on first use (z.lazy): a signed-in `status` or `token` never has a
 * pending file to read, and a cold process should not pay for schemas it does not use.
 */
export const Pending = z.lazy(() => {
  const DevicePending = z.object({
    schemaVersion: z.literal(1),
    method: z.literal('device'),
    pending_id: z.string(),
    device_auth_id: z.string(),
    user_code: z.string(),
    verification_url: z.string(),
    interval_s: z.number(),
    created_at: z.number(),
    expires_at: z.number(),
    last_poll_at: z.nullable(z.number()),
    issuer: z.string(),
  })
  const BrowserPending = z.object({
    schemaVersion: z.literal(1),
    method: z.literal('browser'),
    pending_id: z.string(),
    state: z.string(),
    code_verifier: z.string(),
    redirect_uri: z.string(),
    authorize_url: z.string(),
    listener: z.nullable(z.object({ pid: z.number(), port: z.number() })),
    created_at: z.number(),
    expires_at: z.number(),
    issuer: z.string(),
    /** Written by the callback listener when it finishes (tokens go to the credential store). */
    outcome: z._default(
      z.nullable(
        z.object({
          status: z.enum(['connected', 'failed']),
          code: z.optional(z.string()),
          error: z.optional(z.string()),
          /** What registration reported (registry path, models), for poll's result. */
          host: z.optional(z.record(z.string(), z.unknown())),
        }),
      ),
      null,
    ),
  })
  return z.discriminatedUnion('method', [DevicePending, BrowserPending])
})
export type Pending = z.infer<typeof Pending>
export type DevicePending = Extract<Pending, { method: 'device' }>
export type BrowserPending = Extract<Pending, { method: 'browser' }>
