/**
 * `callback --url`: the paste fallback of a browser sign-in, for a browser on another machine:
 * the user copies the address the browser ended on and the agent passes it here.
 */
import type { Ctx } from '../context.js'
import { SkillError } from '../result.js'
import { finishPasted, parsePastedUrl } from '../signin/callback.js'
import { pendingStore } from '../store/pending.js'

export interface CallbackOptions {
  /** Required; optional in the type only because the command table passes generic options. */
  url?: string
}

/**
 * Finishes a browser sign-in from the redirect URL the user pasted.
 * @throws SkillError `invalid_argument` (no or a bad `--url`), `no_pending_login`,
 *   `device_code_expired`, `state_mismatch`, `access_denied`, upstream and transport codes,
 *   `state_corrupt`, `state_unsafe`, `lock_timeout`.
 * @see docs/protocol.md#3-browser-pkce-flow
 */
export async function callback(ctx: Ctx, opts: CallbackOptions = {}) {
  if (!opts.url)
    throw new SkillError(
      'invalid_argument',
      'callback needs --url <the address the browser ended on>',
    )
  const q = parsePastedUrl(opts.url)
  const pending = pendingStore(ctx)
  return pending.locked(async () => finishPasted(ctx, await pending.read(), q, pending))
}
