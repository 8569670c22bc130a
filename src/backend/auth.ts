/**
 * Authenticated calls to chatgpt.com/backend-api (docs/protocol.md#71-request-v,
 * docs/protocol.md#92-http-post-headers): headers, refresh
 * ahead of expiry, and one refresh + one retry on a 401.
 */
import type { Ctx } from '../context.js'
import { freshCredentials } from '../auth/session.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'

/** Headers every backend call carries. Never throws. @see docs/protocol.md#92-http-post-headers */
export function backendHeaders(ctx: Ctx, creds: Credentials): Record<string, string> {
  const { originator, clientVersion } = ctx.config
  return {
    authorization: `Bearer ${creds.tokens.access_token}`,
    'chatgpt-account-id': creds.tokens.account_id,
    originator,
    version: clientVersion,
    'user-agent': `${originator}/${clientVersion} (chatgpt-codex-onboarding)`,
  }
}

export interface AuthedOutcome<T> {
  value: T
  /** How many refresh grants this call sent (0 or 1; 2 only if the retry also needed one). */
  refreshes: number
}

/**
 * Runs `call` with fresh credentials. If it reports a 401 and `mayRetry()` allows (e.g. no
 * byte has reached a client yet), refreshes once, unless another process already did, and
 * calls again once. `known`: credentials already in hand (not read again while fresh).
 * @throws SkillError the credential codes of `freshCredentials` (`not_signed_in`,
 *   `refresh_token_*`, `reauth_required`, `lock_timeout`, ...) and whatever `call` throws.
 */
export async function withAuth<T>(
  ctx: Ctx,
  store: CredentialStore,
  call: (creds: Credentials) => Promise<{ status: number; value: T }>,
  mayRetry: () => boolean = () => true,
  known?: Credentials,
): Promise<AuthedOutcome<T>> {
  const first = await freshCredentials(ctx, store, { known })
  let refreshes = first.refreshed ? 1 : 0
  const res = await call(first.creds)
  if (res.status !== 401 || !mayRetry()) return { value: res.value, refreshes }
  const second = await freshCredentials(ctx, store, {
    staleAccessToken: first.creds.tokens.access_token,
  })
  if (second.refreshed) refreshes++
  const retry = await call(second.creds)
  return { value: retry.value, refreshes }
}
