/** `refresh`: rotates the tokens now, unless another process just did. */
import type { Ctx } from '../context.js'
import { freshCredentials } from '../auth/session.js'
import { openStore } from '../store/credentials.js'
import { accountView, tokenExpiry } from '../signin/views.js'

/**
 * Rotates the tokens now (under the store's lock), unless another process just did.
 * @throws SkillError `not_signed_in`, `refresh_token_expired`, `refresh_token_reused`,
 *   `refresh_token_invalidated`, `reauth_required`, `account_mismatch`, `lock_timeout`,
 *   `state_corrupt`, `state_unsafe`, transport codes (`timeout`, `network_error`),
 *   `upstream_error`, `invalid_response`.
 * @see docs/protocol.md#4-token-refresh
 */
export async function refresh(ctx: Ctx) {
  const store = await openStore(ctx)
  const { creds, refreshed } = await freshCredentials(ctx, store, { force: true })
  return {
    status: 'connected' as const,
    refreshed,
    ...(refreshed
      ? {}
      : { hint: 'Another process refreshed the tokens a moment ago; they were reused.' }),
    account: accountView(creds),
    ...tokenExpiry(creds, ctx.now()),
  }
}
