/**
 * Fresh credentials for any caller, with the refresh discipline that keeps single-use refresh
 * tokens single-use across processes: lock, re-read, and refresh only if nobody else did.
 */
import type { Ctx } from '../context.js'
import { readClaims } from '../oauth/jwt.js'
import type { Refreshed, TokenSet } from '../oauth/tokens.js'
import { SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'
import { clockOffset, localExpiry, measureOffset } from './clock.js'

/** Refresh ahead of expiry, like the CLI (CHATGPT_ACCESS_TOKEN_REFRESH_WINDOW_MINUTES = 5). */
export const REFRESH_WINDOW_MS = 5 * 60_000
/** Without a readable `exp`, refresh when the last one is older than 8 days
 * (docs/protocol.md#43-when-the-cli-refreshes). */
const FALLBACK_MAX_AGE_MS = 8 * 24 * 3600_000

/**
 * Builds stored credentials from a fresh token set.
 * @throws SkillError `invalid_response` (an id token without a chatgpt_account_id claim).
 * @see docs/protocol.md#5-jwt-claims-the-cli-reads
 */
export function credentialsFrom(tokens: TokenSet, issuer: string, now: number): Credentials {
  const id = readClaims(tokens.id_token)
  const access = readClaims(tokens.access_token)
  const account_id = id.account_id ?? access.account_id
  if (!account_id) {
    throw new SkillError('invalid_response', 'The id_token carries no chatgpt_account_id claim')
  }
  return {
    schemaVersion: 1,
    tokens: { ...tokens, account_id },
    account: { email: id.email, plan: id.plan ?? access.plan, account_id, user_id: id.user_id },
    access_expires_at: access.exp,
    access_issued_at: access.iat,
    last_refresh: now,
    clock_offset_ms: measureOffset(access.iat, now),
    issuer,
    reauth: null,
  }
}

/**
 * Merges a refresh response into stored credentials; missing fields keep their old values.
 * @throws SkillError `account_mismatch` (the new tokens name another account; nothing is stored).
 * @see docs/protocol.md#42-response
 */
export function applyRefresh(old: Credentials, r: Refreshed, now: number): Credentials {
  const next = credentialsFrom(
    {
      id_token: r.id_token ?? old.tokens.id_token,
      access_token: r.access_token ?? old.tokens.access_token,
      refresh_token: r.refresh_token ?? old.tokens.refresh_token,
    },
    old.issuer,
    now,
  )
  if (next.account.account_id !== old.account.account_id) {
    throw new SkillError(
      'account_mismatch',
      'The refreshed tokens name a different ChatGPT account than the one signed in; the stored tokens were kept',
    )
  }
  // An id_token-less refresh keeps the old account details; an access_token-less one keeps the
  // old token, whose iat says nothing about the clock now.
  const clock = r.access_token ? {} : { clock_offset_ms: clockOffset(old) }
  return r.id_token ? { ...next, ...clock } : { ...next, ...clock, account: old.account }
}

/**
 * True when the access token is good for at least `windowMs` more, by the issuer's clock: the
 * measured skew is taken out (src/auth/clock.ts), so a clock a day off decides like a right one.
 * Never throws. @see docs/protocol.md#43-when-the-cli-refreshes
 */
export function isFresh(c: Credentials, now: number, windowMs = REFRESH_WINDOW_MS): boolean {
  const expiry = localExpiry(c, now)
  if (expiry !== null) return expiry - now > windowMs
  return now - c.last_refresh < FALLBACK_MAX_AGE_MS
}

function reauthError(c: Credentials): SkillError {
  const code = c.reauth?.code ?? 'reauth_required'
  return new SkillError(code, 'The sign-in has ended: the refresh token can no longer be used', {
    retryable: false,
  })
}

/**
 * Reads the signed-in credentials, or checks `known` ones already read from this store.
 * @throws SkillError `not_signed_in`, the recorded reauth code (`refresh_token_expired`,
 *   `refresh_token_reused`, `refresh_token_invalidated`, `reauth_required`), `state_corrupt`,
 *   `state_unsafe`.
 */
export async function requireCredentials(
  store: CredentialStore,
  known?: Credentials,
): Promise<Credentials> {
  const creds = known ?? (await store.read())
  if (!creds) throw new SkillError('not_signed_in', 'Not signed in to ChatGPT')
  if (creds.reauth) throw reauthError(creds)
  return creds
}

export interface FreshResult {
  creds: Credentials
  /** True when this process sent a refresh grant. */
  refreshed: boolean
}

/**
 * Returns usable credentials, refreshing when needed.
 * - `force`: refresh unless another process already rotated the tokens since we looked.
 * - `staleAccessToken`: the caller got a 401 with this token; refresh unless it already changed.
 * - `known`: credentials the caller already holds from this store (just written by a sign-in):
 *   not read again unless a refresh is due.
 * @throws SkillError not_signed_in | refresh_token_* | reauth_required | account_mismatch | lock_timeout | transport codes
 */
export async function freshCredentials(
  ctx: Ctx,
  store: CredentialStore,
  opts: { force?: boolean; staleAccessToken?: string; known?: Credentials } = {},
): Promise<FreshResult> {
  const before = await requireCredentials(store, opts.known)
  const wanted = opts.force || opts.staleAccessToken !== undefined
  if (!wanted && isFresh(before, ctx.now())) return { creds: before, refreshed: false }

  return store.locked(async () => {
    const current = await requireCredentials(store)
    const rotatedMeanwhile = current.tokens.refresh_token !== before.tokens.refresh_token
    const accessChanged =
      opts.staleAccessToken !== undefined && current.tokens.access_token !== opts.staleAccessToken
    if (rotatedMeanwhile || accessChanged || (!wanted && isFresh(current, ctx.now()))) {
      return { creds: current, refreshed: false }
    }
    // Loaded on the refresh path only: a warm `token` (a host may run it before every model
    // request) and `status` never build the token endpoint's schemas or its HTTP client.
    const [{ refreshGrant }, { sendAndStore }] = await Promise.all([
      import('../oauth/tokens.js'),
      import('../store/rotation.js'),
    ])
    try {
      // Disk reserved first, signals held from the send to the write (src/store/rotation.ts):
      // the issuer rotates the refresh token when it answers, so its answer must be stored.
      return await sendAndStore(
        store,
        () => refreshGrant(ctx.config, current.tokens.refresh_token, ctx.now()),
        async (refreshed: Refreshed) => {
          const next = applyRefresh(current, refreshed, ctx.now())
          await store.write(next)
          return { creds: next, refreshed: true }
        },
      )
    } catch (err) {
      if (err instanceof SkillError && isDeadToken(err.code)) {
        // "Reused" can mean another writer won the race with the same token rather than a dead
        // sign-in: adopt its new tokens if they show up.
        const adopted =
          err.code === 'refresh_token_reused' && (await rotatedElsewhere(ctx, store, current))
        if (adopted) return { creds: adopted, refreshed: false }
        // Record it so status says "sign in again" without another doomed request.
        await store.write({ ...current, reauth: { code: err.code, at: ctx.now() } })
      }
      throw err
    }
  })
}

/**
 * How long a reused refresh token waits for the winner's tokens in the codex store. The Codex
 * CLI refreshes auth.json without taking any lock
 * (docs/codex-cli.md#notes-from-running-the-real-binary), so our lock cannot keep
 * it out: when both send the same refresh token at once, the issuer answers the loser
 * `refresh_token_reused` while codex is still about to write its new tokens. Measured before
 * this: 2 of 6 rounds of a concurrent `codex exec` and refresh ended the skill's sign-in.
 */
const CODEX_ROTATION_WAIT_MS = 3_000

/**
 * Credentials whose refresh token is no longer the one we sent, if another writer stored them:
 * at once for our own file store (our processes all refresh under the lock), polled for up to
 * {@link CODEX_ROTATION_WAIT_MS} for the codex store.
 */
async function rotatedElsewhere(
  ctx: Ctx,
  store: CredentialStore,
  sent: Credentials,
): Promise<Credentials | undefined> {
  const deadline = ctx.now() + (store.kind === 'codex' ? CODEX_ROTATION_WAIT_MS : 0)
  for (;;) {
    const now = await store.read().catch(() => undefined)
    if (now && !now.reauth && now.tokens.refresh_token !== sent.tokens.refresh_token) return now
    if (ctx.now() >= deadline) return undefined
    await new Promise((r) => setTimeout(r, 100))
  }
}

type DeadCode = NonNullable<Credentials['reauth']>['code']
const DEAD = new Set<string>([
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'reauth_required',
])
function isDeadToken(code: string): code is DeadCode {
  return DEAD.has(code)
}
