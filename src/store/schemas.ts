/**
 * On-disk shapes. Every file carries `schemaVersion`; unknown keys are kept on read-modify-write
 * by the writers that need it (codex store), ignored otherwise.
 */
import { z } from 'zod'

export const Tokens = z.object({
  id_token: z.string().min(1),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  account_id: z.string().min(1),
})
export type Tokens = z.infer<typeof Tokens>

export const Account = z.object({
  email: z.string().nullable(),
  plan: z.string().nullable(),
  account_id: z.string(),
  user_id: z.string().nullable(),
})
export type Account = z.infer<typeof Account>

/** Signed-in state, store-neutral. Times are epoch milliseconds. */
export const Credentials = z.object({
  schemaVersion: z.literal(1),
  tokens: Tokens,
  account: Account,
  /** `exp` of the access token, when it could be read. */
  access_expires_at: z.number().nullable(),
  /** `iat` of the access token: the issuer's clock, used by doctor for skew. */
  access_issued_at: z.number().nullable(),
  last_refresh: z.number(),
  issuer: z.string(),
  /** Set when the refresh token is dead: the user must sign in again. */
  reauth: z
    .object({
      code: z.enum([
        'refresh_token_expired',
        'refresh_token_reused',
        'refresh_token_invalidated',
        'reauth_required',
      ]),
      at: z.number(),
    })
    .nullable()
    .default(null),
})
export type Credentials = z.infer<typeof Credentials>

export const DevicePending = z.object({
  schemaVersion: z.literal(1),
  method: z.literal('device'),
  pending_id: z.string(),
  device_auth_id: z.string(),
  user_code: z.string(),
  verification_url: z.string(),
  interval_s: z.number(),
  created_at: z.number(),
  expires_at: z.number(),
  last_poll_at: z.number().nullable(),
  issuer: z.string(),
})
export type DevicePending = z.infer<typeof DevicePending>

export const BrowserPending = z.object({
  schemaVersion: z.literal(1),
  method: z.literal('browser'),
  pending_id: z.string(),
  state: z.string(),
  code_verifier: z.string(),
  redirect_uri: z.string(),
  authorize_url: z.string(),
  listener: z.object({ pid: z.number(), port: z.number() }).nullable(),
  created_at: z.number(),
  expires_at: z.number(),
  issuer: z.string(),
  /** Written by the callback listener when it finishes (tokens go to the credential store). */
  outcome: z
    .object({
      status: z.enum(['connected', 'failed']),
      code: z.string().optional(),
      error: z.string().optional(),
      /** What registration reported (registry path, models), for poll's result. */
      host: z.record(z.string(), z.unknown()).optional(),
    })
    .nullable()
    .default(null),
})
export type BrowserPending = z.infer<typeof BrowserPending>

export const Pending = z.discriminatedUnion('method', [DevicePending, BrowserPending])
export type Pending = z.infer<typeof Pending>
