/** The one end of every sign-in path: device poll, pasted callback and the browser listener. */
import type { Ctx } from '../context.js'
import { onSignedIn } from '../host/index.js'
import { openStore } from '../store/credentials.js'
import type { PendingStore } from '../store/pending.js'
import type { BrowserPending, Credentials } from '../store/schemas.js'
import { accountView, connectedHint } from './views.js'
import { SkillError, run } from '../result.js'

/**
 * Runs the code exchange `obtain` and stores its credentials as one rotation: disk space is
 * reserved first and SIGINT/SIGTERM/SIGHUP are held from the send until the write
 * (src/store/rotation.ts), since the exchange spends the code. Then it settles the pending login
 * and registers the models with the credentials and store in hand (no second read). The agent's
 * own process removes the pending login (still inside the held window); the detached listener
 * (`recordFor`) instead records the outcome in it, host report included, for the next `poll` to
 * settle. An unreadable credentials file is moved aside, never overwritten, and reported as
 * `moved_aside`. Call holding the pending lock (lock order: pending, then credentials).
 * @throws SkillError `disk_full`, `state_readonly` (before the exchange), `interrupted` (a CLI
 *   call signalled during the exchange, after the write), `state_unsafe`, `lock_timeout`, and
 *   the exchange's own codes (the registration itself never throws: its problems come back as
 *   `warnings`).
 */
export async function finishSignIn(
  ctx: Ctx,
  obtain: () => Promise<Credentials>,
  pending: PendingStore,
  recordFor?: BrowserPending,
) {
  const store = await openStore(ctx)
  const { sendAndStore } = await import('../store/rotation.js')
  const { creds, moved_aside } = await store.locked(() =>
    sendAndStore(store, obtain, async (creds) => {
      const moved_aside = await store.write(creds)
      if (!recordFor) await pending.remove()
      return { creds, moved_aside }
    }),
  )
  const host = await onSignedIn(ctx, creds, store)
  const moved = moved_aside.length ? { moved_aside } : {}
  // Registering fetched the catalog with the new tokens; if that ended the sign-in (a refresh
  // refused at once), say so now rather than "connected" followed by a status that disagrees.
  const after = await store.read()
  if (recordFor) {
    const outcome = after?.reauth
      ? { status: 'failed' as const, code: after.reauth.code, error: deadMessage }
      : { status: 'connected' as const, host: { ...host, ...moved } }
    await pending.write({ ...recordFor, outcome })
  }
  assertAlive(after)
  return {
    status: 'connected' as const,
    account: accountView(creds),
    ...host,
    ...moved,
    hint: connectedHint(),
  }
}

const deadMessage =
  'The sign-in completed, but the issuer refused its first token refresh: the sign-in has already ended'

/**
 * Throws when the stored sign-in is already dead (a refresh refused while registering), so no
 * result says `connected` while the next `status` says `reauth_required`.
 * @throws SkillError the recorded reauth code, `not_signed_in` (nothing stored).
 */
export function assertAlive(c: Credentials | undefined): asserts c is Credentials {
  if (!c)
    throw new SkillError('not_signed_in', 'The sign-in finished, but no sign-in is stored now')
  if (c.reauth)
    throw new SkillError(c.reauth.code, deadMessage, {
      hint: `The models are unregistered. Run ${run('logout')}, then ${run('start')}, to sign in again; if it happens again, run ${run('doctor')} (clock skew, account state).`,
    })
}
