/**
 * `poll`: one check of the pending login, at most one request to the device endpoint (plus the
 * code exchange when approved). Call it only after the user says they approved.
 */
import type { Ctx } from '../context.js'
import { credentialsFrom } from '../auth/session.js'
import { onSignedIn } from '../host/index.js'
import { pollDeviceToken } from '../oauth/device.js'
import { exchangeCode } from '../oauth/tokens.js'
import { SkillError } from '../result.js'
import { openStore } from '../store/credentials.js'
import { pendingStore, type PendingStore } from '../store/pending.js'
import type { Credentials, DevicePending } from '../store/schemas.js'
import { accountView, RELOAD_MESSAGE } from './views.js'

export interface PollOptions {
  pending_id?: string
}

export async function poll(ctx: Ctx, opts: PollOptions = {}) {
  const pending = pendingStore(ctx)
  // Under the pending lock, so two agents polling at once make one request between them.
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
    if (p.method === 'browser') return (await import('./browser.js')).pollBrowser(ctx, p, pending)
    if (ctx.now() >= p.expires_at) {
      throw new SkillError('device_code_expired', 'The sign-in code has expired')
    }
    return pollDevice(ctx, p, pending)
  })
}

async function pollDevice(ctx: Ctx, p: DevicePending, pending: PendingStore) {
  const now = ctx.now()
  const readyAt = p.last_poll_at == null ? now : p.last_poll_at + p.interval_s * 1000
  if (now < readyAt) {
    return {
      status: 'pending' as const,
      retry_after_s: Math.ceil((readyAt - now) / 1000),
      message: 'Too soon to check again; no request was made. Wait retry_after_s seconds.',
    }
  }
  // Recorded before the request, so a crash or a racing process still respects the interval.
  await pending.write({ ...p, last_poll_at: now })
  let outcome
  try {
    outcome = await pollDeviceToken(ctx.config, p, now)
  } catch (err) {
    if (err instanceof SkillError && (err.code === 'access_denied' || err.code === 'device_code_expired')) {
      await pending.remove()
    }
    throw err
  }
  if (outcome.state === 'pending') {
    return {
      status: 'pending' as const,
      retry_after_s: p.interval_s,
      message:
        'Not approved yet. Ask the user to finish on the page (enter the code and approve), then call poll again when they say so.',
    }
  }
  const tokens = await exchangeCode(
    ctx.config,
    {
      code: outcome.authorization_code,
      code_verifier: outcome.code_verifier,
      redirect_uri: `${p.issuer}/deviceauth/callback`,
    },
    ctx.now(),
  )
  const creds = credentialsFrom(tokens, p.issuer, ctx.now())
  return finishSignIn(ctx, creds, pending)
}

/** Stores new credentials, clears the pending login and registers the models. */
export async function finishSignIn(ctx: Ctx, creds: Credentials, pending: PendingStore) {
  const store = await openStore(ctx)
  await store.locked(() => store.write(creds))
  await pending.remove()
  const host = await onSignedIn(ctx, creds)
  return {
    status: 'connected' as const,
    account: accountView(creds),
    ...host,
    message: RELOAD_MESSAGE,
  }
}
