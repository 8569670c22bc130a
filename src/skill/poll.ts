/**
 * `poll`: one check of the pending login, at most one request to the device endpoint (plus the
 * code exchange when approved). Call it only after the user says they approved.
 */
import type { Ctx } from '../context.js'
import { run, SkillError } from '../result.js'
import { pollDevice } from '../signin/device.js'
import { accountView } from '../signin/views.js'
import { openStore } from '../store/credentials.js'
import { pendingStore } from '../store/pending.js'

export interface PollOptions {
  pending_id?: string
}

/**
 * Checks the pending sign-in once, under the pending lock (two agents polling at once make one
 * request between them).
 * @throws SkillError `no_pending_login`, `pending_id_mismatch`, `device_code_expired`,
 *   `access_denied`, a browser outcome's code (`listener_failed`, `state_mismatch`, ...),
 *   upstream and transport codes, `state_corrupt`, `state_unsafe`, `lock_timeout`.
 * @see docs/protocol.md#2-device-code-flow
 */
export async function poll(ctx: Ctx, opts: PollOptions = {}) {
  const pending = pendingStore(ctx)
  return pending.locked(async () => {
    const p = await pending.read()
    if (!p) return alreadyDone(ctx)
    if (opts.pending_id !== undefined && opts.pending_id !== p.pending_id) {
      throw new SkillError(
        'pending_id_mismatch',
        `${opts.pending_id} is not the current sign-in; the current one is ${p.pending_id}`,
        { extra: { pending_id: p.pending_id } },
      )
    }
    // A browser login checks its own deadline: an outcome the listener recorded still counts.
    if (p.method === 'browser')
      return (await import('../signin/browser.js')).pollBrowser(ctx, p, pending)
    return pollDevice(ctx, p, pending)
  })
}

/**
 * No pending login: a sign-in that already finished (an earlier poll, the listener, another
 * agent) is reported as connected, like `status` would; otherwise there is nothing to poll.
 * @throws SkillError `no_pending_login`, the recorded reauth code, `state_corrupt`, `state_unsafe`.
 */
async function alreadyDone(ctx: Ctx) {
  const creds = await (await openStore(ctx)).read()
  if (creds && !creds.reauth) {
    return {
      status: 'connected' as const,
      account: accountView(creds),
      already_connected: true,
      hint: `The sign-in is already done; nothing was polled. Run ${run('verify')} to prove a model answers.`,
    }
  }
  throw new SkillError('no_pending_login', 'No sign-in is in progress', {
    hint: creds?.reauth
      ? `The last sign-in has ended (${creds.reauth.code}). Run ${run('logout')}, then ${run('start')}.`
      : `Run ${run('start')} to begin a sign-in.`,
  })
}
