/**
 * Device-code sign-in: one request for a user code (`start`), then at most one poll of the
 * device endpoint per call (`poll`), plus the code exchange once approved. Never polls on its
 * own: the agent calls `poll` after the user says they approved.
 */
import type { Ctx } from '../context.js'
import { credentialsFrom } from '../auth/session.js'
import { pollDeviceToken, requestUserCode } from '../oauth/device.js'
import { exchangeCode } from '../oauth/tokens.js'
import { SkillError } from '../result.js'
import { newPendingId, type PendingStore } from '../store/pending.js'
import type { DevicePending } from '../store/schemas.js'
import { finishSignIn } from './finish.js'
import { deviceWaitS, devicePendingView } from './views.js'
import { inPhrase, run } from '../result.js'

/** Device logins live 15 minutes (the CLI's limit). */
export const DEVICE_TTL_MS = 15 * 60_000

/**
 * Requests a user code and writes the pending login (call under the pending lock).
 * @throws SkillError `upstream_error`, `upstream_rejected`, `rate_limited`, `invalid_response`,
 *   transport codes (`timeout`, `network_error`), `state_unsafe`.
 * @see docs/protocol.md#2-device-code-flow
 */
export async function startDevice(ctx: Ctx, pending: PendingStore) {
  const now = ctx.now()
  const code = await requestUserCode(ctx.config, now)
  const p: DevicePending = {
    schemaVersion: 1,
    method: 'device',
    pending_id: newPendingId(),
    device_auth_id: code.device_auth_id,
    user_code: code.user_code,
    verification_url: `${ctx.config.issuer}/codex/device`,
    interval_s: code.interval_s,
    created_at: now,
    expires_at: now + DEVICE_TTL_MS,
    last_poll_at: null,
    issuer: ctx.config.issuer,
  }
  await pending.write(p)
  return devicePendingView(p, now)
}

/**
 * One check of a device login (call under the pending lock): no request before the interval,
 * else one poll and, once approved, the code exchange and {@link finishSignIn}.
 * @throws SkillError `device_code_expired`, `access_denied` (both clear the pending login),
 *   `upstream_error`, `upstream_rejected`, `rate_limited`, `invalid_response`, transport codes,
 *   `state_unsafe`, `lock_timeout`.
 * @see docs/protocol.md#2-device-code-flow
 */
export async function pollDevice(ctx: Ctx, p: DevicePending, pending: PendingStore) {
  if (ctx.now() >= p.expires_at) {
    throw new SkillError('device_code_expired', 'The sign-in code has expired')
  }
  const now = ctx.now()
  const wait = deviceWaitS(p, now)
  if (wait > 0) {
    // No sleep, no loop: the agent relays the wait and polls after the user's next reply.
    return {
      ...devicePendingView(p, now),
      hint:
        `Too soon: no request was made (the server allows one check every ${p.interval_s} s; the next is accepted ${inPhrase(wait)}, at ${new Date(now + wait * 1000).toISOString()}). ` +
        `Do not wait or loop: ask the user to finish on the page ${p.verification_url} with the code ${p.user_code} and tell you; run ${run('poll', '--pending-id', p.pending_id)} after their reply.`,
    }
  }
  // Recorded before the request, so a crash or a racing process still respects the interval.
  await pending.write({ ...p, last_poll_at: now })
  let outcome
  try {
    outcome = await pollDeviceToken(ctx.config, p, now)
  } catch (err) {
    if (
      err instanceof SkillError &&
      (err.code === 'access_denied' || err.code === 'device_code_expired')
    ) {
      await pending.remove()
    }
    throw err
  }
  if (outcome.state === 'pending') {
    const polled = { ...p, last_poll_at: now }
    return {
      ...devicePendingView(polled, now),
      hint: `Not approved yet. Ask the user to finish on the page ${p.verification_url} (enter the code ${p.user_code} and approve) and tell you; run ${run('poll', '--pending-id', p.pending_id)} after their reply (accepted ${inPhrase(deviceWaitS(polled, now))} from now).`,
    }
  }
  // The exchange spends the code: it runs inside finishSignIn's held window, up to the write.
  const obtain = async () => {
    const tokens = await exchangeCode(
      ctx.config,
      {
        code: outcome.authorization_code,
        code_verifier: outcome.code_verifier,
        redirect_uri: `${p.issuer}/deviceauth/callback`,
      },
      ctx.now(),
    )
    return credentialsFrom(tokens, p.issuer, ctx.now())
  }
  return finishSignIn(ctx, obtain, pending)
}
