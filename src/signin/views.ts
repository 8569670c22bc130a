/** Result fragments shared by several operations. Never include a token here. */
import { clockSkewSeconds, localExpiry } from '../auth/clock.js'
import type { BrowserPending, Credentials, Pending } from '../store/schemas.js'
import { processAlive } from '../proc.js'

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

export const RELOAD_MESSAGE =
  'Tell the user: signed in to ChatGPT. Reload the web page (or reopen /model) so the new openai-codex/* models show in the model picker. Then run verify to prove a model answers.'

/**
 * A pending device login as the agent sees it: the page, the code, when to poll, and what to
 * tell the user. Never throws. @see docs/protocol.md#step-2-show-the-code
 */
export function devicePendingView(p: Extract<Pending, { method: 'device' }>, now: number) {
  const wait = p.last_poll_at == null ? 0 : Math.max(0, p.last_poll_at + p.interval_s * 1000 - now)
  return {
    status: 'pending' as const,
    method: 'device' as const,
    verification_url: p.verification_url,
    user_code: p.user_code,
    pending_id: p.pending_id,
    expires_at: iso(p.expires_at),
    poll_after_s: Math.ceil(wait / 1000),
    instructions:
      `Give the user two things, separately: the page ${p.verification_url} and the one-time code ${p.user_code}. ` +
      'Ask them to open the page, sign in to ChatGPT, type the code, approve, and then tell you they approved. ' +
      'Do not poll until they say so, do not put the code into the URL, and call poll once per reply.',
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
export function browserPendingView(p: BrowserPending): Record<string, unknown> {
  const running = listenerAlive(p)
  const paste =
    'If the browser is on another machine (SSH, remote desktop, headless server), the last page will not load: ' +
    'ask the user to copy the full address from the address bar (it starts with http://127.0.0.1) and give it to you, ' +
    "then call callback --url '<that address>'."
  const instructions = running
    ? `Give the user this link: ${p.authorize_url} . Ask them to open it in a browser on this machine, sign in to ChatGPT and approve; ` +
      `the page then says "Signed in to ChatGPT". When they say they are done, call poll once. ${paste}`
    : `Give the user this link: ${p.authorize_url} . Ask them to open it, sign in to ChatGPT and approve. ` +
      'No local listener is running, so the last page will fail to load (that is expected): ask the user to copy the full ' +
      "address from the address bar and give it to you, then call callback --url '<that address>'."
  return {
    status: 'pending' as const,
    method: 'browser' as const,
    authorize_url: p.authorize_url,
    pending_id: p.pending_id,
    expires_at: iso(p.expires_at),
    listener: p.listener ? { port: p.listener.port, running } : null,
    ...(p.listener && !running && !p.outcome
      ? {
          listener_note:
            'The callback listener is no longer running; use the paste fallback (callback --url).',
        }
      : {}),
    instructions,
  }
}
