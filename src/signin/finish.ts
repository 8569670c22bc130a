/** The one end of every sign-in path: device poll, pasted callback and the browser listener. */
import type { Ctx } from '../context.js'
import { onSignedIn } from '../host/index.js'
import { openStore } from '../store/credentials.js'
import type { PendingStore } from '../store/pending.js'
import type { BrowserPending, Credentials } from '../store/schemas.js'
import { accountView, RELOAD_MESSAGE } from './views.js'

/**
 * Stores new credentials (under the store's lock), settles the pending login and registers the
 * models with the credentials and store in hand (no second read). The agent's own process
 * removes the pending login first; the detached listener (`recordFor`) instead records the
 * outcome in it, host report included, for the next `poll` to settle.
 * @throws SkillError `state_unsafe`, `lock_timeout` (the registration itself never throws: its
 *   problems come back as `warnings`).
 */
export async function finishSignIn(
  ctx: Ctx,
  creds: Credentials,
  pending: PendingStore,
  recordFor?: BrowserPending,
) {
  const store = await openStore(ctx)
  await store.locked(() => store.write(creds))
  if (!recordFor) await pending.remove()
  const host = await onSignedIn(ctx, creds, store)
  if (recordFor) {
    await pending.write({ ...recordFor, outcome: { status: 'connected', host: { ...host } } })
  }
  return {
    status: 'connected' as const,
    account: accountView(creds),
    ...host,
    message: RELOAD_MESSAGE,
  }
}
