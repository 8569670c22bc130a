/**
 * `poll`: one check of the pending login, at most one request to the device endpoint (plus the
 * code exchange when approved). Call it only after the user says they approved.
 */
import type { Ctx } from '../context.js'
import { SkillError } from '../result.js'
import { pollDevice } from '../signin/device.js'
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
    if (!p) {
      throw new SkillError('no_pending_login', 'No sign-in is in progress', {
        hint: 'Run status: if it says connected, the sign-in is already done. Otherwise run start.',
      })
    }
    if (opts.pending_id !== undefined && opts.pending_id !== p.pending_id) {
      throw new SkillError('pending_id_mismatch', 'That pending_id is not the current sign-in')
    }
    // A browser login checks its own deadline: an outcome the listener recorded still counts.
    if (p.method === 'browser')
      return (await import('../signin/browser.js')).pollBrowser(ctx, p, pending)
    return pollDevice(ctx, p, pending)
  })
}
