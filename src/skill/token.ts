/**
 * `token`: the credential helper hosts run (the registry's credential command). The ONE output
 * of this tool that carries a token; meant for host processes, never for a chat transcript.
 * Non-interactive: refreshes under the lock when the token is within 5 minutes of expiry, and
 * fails with a JSON error (exit 1) when signed out.
 */
import type { Ctx } from '../context.js'
import { localExpiry } from '../auth/clock.js'
import { freshCredentials } from '../auth/session.js'
import { openStore } from '../store/credentials.js'
import { iso } from '../signin/views.js'

export interface TokenOptions {
  /** `json` (default), `raw` (the bare token: pi's `!command`), `openclaw-exec` (exec protocol). */
  format?: 'json' | 'raw' | 'openclaw-exec'
}

/**
 * A usable access token for a host's model request, refreshed first when due. A dead sign-in
 * takes the models out of every picker before the error is returned.
 * @throws SkillError `not_signed_in`, `refresh_token_expired`, `refresh_token_reused`,
 *   `refresh_token_invalidated`, `reauth_required`, `account_mismatch`, `lock_timeout`,
 *   `state_corrupt`, `state_unsafe`, transport codes.
 * @see docs/protocol.md#4-token-refresh
 */
export async function token(ctx: Ctx, _opts: TokenOptions = {}) {
  const store = await openStore(ctx)
  let creds
  try {
    ;({ creds } = await freshCredentials(ctx, store))
  } catch (err) {
    // The host hooks (registry, pi, OpenClaw files) load only when the sign-in failed: a host
    // may run this before every model request, and the warm path should not evaluate them.
    await (await import('../host/index.js')).onFailure(ctx, err)
    throw err
  }
  const account_id = creds.tokens.account_id
  return {
    token: creds.tokens.access_token,
    // On this machine's clock: a host comparing it with its own clock then decides correctly.
    expires_at: iso(localExpiry(creds, ctx.now())),
    account_id,
    headers: { 'chatgpt-account-id': account_id, originator: ctx.config.originator },
  }
}

/**
 * How the CLI prints a successful `token` result in a non-JSON format; undefined = the usual
 * JSON line. Failures are always the usual JSON error.
 * Never throws.
 */
export function renderToken(
  result: Record<string, unknown>,
  opts: TokenOptions,
): string | undefined {
  if (opts.format === 'raw') return `${String(result.token)}\n`
  if (opts.format === 'openclaw-exec') {
    return `${JSON.stringify({ protocolVersion: 1, values: { token: result.token } })}\n`
  }
  return undefined
}
