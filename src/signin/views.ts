/** Result fragments shared by several operations. Never include a token here. */
import { clockSkewSeconds, localExpiry } from '../auth/clock.js'
import type { BrowserPending, Credentials, Pending } from '../store/schemas.js'
import { processAlive } from '../proc.js'
import { inPhrase, run } from '../result.js'

/** A timestamp in ms as ISO 8601, null for none. Never throws. */
export const iso = (ms: number | null | undefined) =>
  ms == null ? null : new Date(ms).toISOString()

/** The account fragment of a result (email, plan, account id; never a token). Never throws. */
export function accountView(c: Credentials) {
  return { email: c.account.email, plan: c.account.plan, account_id: c.account.account_id }
}

/**
 * When the access token expires, on this machine's clock (the measured skew taken out), in
 * seconds from `now`, and the skew itself. Never throws.
 */
export function tokenExpiry(c: Credentials, now: number) {
  const local = localExpiry(c, now)
  return {
    access_token_expires_at: iso(local),
    access_token_expires_in_s: local == null ? null : Math.round((local - now) / 1000),
    clock_skew_s: clockSkewSeconds(c),
  }
}

/** The hint of every result that ends a sign-in: what to tell the user and what to run next. */
export const connectedHint = () =>
  `Tell the user: signed in to ChatGPT. Reload the web page (or reopen /model) so the new openai-codex/* models show in the model picker. Then run ${run('verify')} to prove a model answers.`

/**
 * Seconds until the device endpoint accepts the next poll of `p` (0 before the first poll).
 * `start`, `status` and `poll` all report this one number as `retry_after_s`, and `poll` makes
 * its request exactly when it is 0, so a wait the agent relays is never contradicted.
 * Never throws.
 */
export function deviceWaitS(p: Extract<Pending, { method: 'device' }>, now: number): number {
  if (p.last_poll_at == null) return 0
  return Math.max(0, Math.ceil((p.last_poll_at + p.interval_s * 1000 - now) / 1000))
}

/**
 * A pending device login as the agent sees it: the page, the code, when poll is accepted, and
 * what to tell the user. Never throws. @see docs/protocol.md#step-2-show-the-code
 */
export function devicePendingView(p: Extract<Pending, { method: 'device' }>, now: number) {
  const expiresIn = Math.max(0, Math.round((p.expires_at - now) / 1000))
  return {
    status: 'pending' as const,
    method: 'device' as const,
    verification_url: p.verification_url,
    user_code: p.user_code,
    pending_id: p.pending_id,
    expires_at: iso(p.expires_at),
    expires_in_s: expiresIn,
    retry_after_s: deviceWaitS(p, now),
    hint:
      `Give the user two things, separately: the page ${p.verification_url} and the one-time code ${p.user_code} (it expires ${inPhrase(expiresIn)}, at ${iso(p.expires_at)}). ` +
      'Ask them to open the page, sign in to ChatGPT, type the code, approve, and then tell you they approved. ' +
      `Do not poll until they say so, do not put the code into the URL; then run ${run('poll', '--pending-id', p.pending_id)} once per reply.`,
  }
}

/**
 * True when the listener's process still runs.
 * Never throws.
 */
export const listenerAlive = (p: BrowserPending): boolean =>
  !!p.listener && processAlive(p.listener.pid)

/**
 * A pending browser login as the agent sees it: the link, the listener's state and the paste
 * fallback's instructions. Never throws. @see docs/protocol.md#32-callback-server
 */
export function browserPendingView(p: BrowserPending, now: number) {
  const running = listenerAlive(p)
  const expiresIn = Math.max(0, Math.round((p.expires_at - now) / 1000))
  const paste =
    'If the browser is on another machine (SSH, remote desktop, headless server), the last page will not load: ' +
    'ask the user to copy the full address from the address bar (it starts with http://127.0.0.1) and give it to you, ' +
    `then run ${run('callback', '--url', "'<that address>'")}.`
  const hint = running
    ? `Give the user this link: ${p.authorize_url} . Ask them to open it in a browser on this machine, sign in to ChatGPT and approve (the link expires ${inPhrase(expiresIn)}, at ${iso(p.expires_at)}); ` +
      `the page then says "Signed in to ChatGPT". When they say they are done, run ${run('poll', '--pending-id', p.pending_id)} once. ${paste}`
    : `Give the user this link: ${p.authorize_url} . Ask them to open it, sign in to ChatGPT and approve (the link expires ${inPhrase(expiresIn)}, at ${iso(p.expires_at)}). ` +
      'No local listener is running, so the last page will fail to load (that is expected): ask the user to copy the full ' +
      `address from the address bar and give it to you, then run ${run('callback', '--url', "'<that address>'")}.`
  return {
    status: 'pending' as const,
    method: 'browser' as const,
    authorize_url: p.authorize_url,
    pending_id: p.pending_id,
    expires_at: iso(p.expires_at),
    expires_in_s: expiresIn,
    retry_after_s: 0,
    listener: p.listener ? { port: p.listener.port, running } : null,
    hint,
  }
}
