/**
 * `doctor`'s checks of the sign-in itself: signed in or not, clock skew against the issuer, the
 * pending login, the browser listener, and environment variables that hijack a sign-in.
 */
import { clockOffset, localExpiry } from '../auth/clock.js'
import { processAlive } from '../proc.js'
import { run } from '../result.js'
import { ago, type Check } from './finding.js'
import { readCredentials, readPending } from './parse.js'

/** Clock skew beyond this makes the 5-minute refresh window unreliable. */
export const SKEW_LIMIT_MS = 2 * 60_000

/** Signed in, signed out, or a sign-in that has ended. */
export const credentials: Check = (s) => {
  const r = readCredentials(s)
  if (!('value' in r)) return []
  const c = r.value
  if (!c)
    return [
      {
        id: 'not_signed_in',
        severity: 'info',
        message: 'Not signed in',
        hint: `Run ${run('start')} to sign in with ChatGPT.`,
      },
    ]
  if (c.reauth) {
    return [
      {
        id: 'reauth_required',
        severity: 'error',
        message: `The sign-in has ended (${c.reauth.code})`,
        hint: `Run ${run('logout')}, then ${run('start')}, to sign in again.`,
      },
    ]
  }
  const expiry = localExpiry(c, s.now)
  if (expiry !== null && expiry <= s.now) {
    return [
      {
        id: 'access_token_expired',
        severity: 'info',
        message: 'The access token has expired',
        hint: 'Nothing is required: the next call that needs it refreshes it.',
      },
    ]
  }
  return []
}

/**
 * The skew measured when the tokens arrived (src/auth/clock.ts; `iat` against our clock), and a
 * token issued in our future (the clock was set back since). Expiry decisions already correct
 * for the measured skew; the warning is for everything else that trusts the clock.
 */
export const clockSkew: Check = (s) => {
  const r = readCredentials(s)
  const c = 'value' in r ? r.value : undefined
  if (!c || c.access_issued_at === null) return []
  const skew = -clockOffset(c)
  const future = c.access_issued_at - clockOffset(c) - s.now
  const worst = Math.abs(skew) >= future ? skew : -future
  const skewS = `clock_skew_s=${Math.round(skew / 1000)}`
  if (Math.abs(worst) <= SKEW_LIMIT_MS) {
    return [
      {
        id: 'clock_skew',
        severity: 'info',
        message: `The local clock is within ${ago(Math.abs(worst))} of the issuer's (${skewS})`,
        hint: null,
      },
    ]
  }
  const dir = worst > 0 ? 'ahead of' : 'behind'
  return [
    {
      id: 'clock_skew',
      severity: 'warning',
      message: `The local clock is about ${ago(Math.abs(worst))} ${dir} the issuer's (${skewS}, measured from the access token's iat when it arrived); token expiry decisions correct for it`,
      hint: 'Synchronise the system clock (NTP): TLS, logs and other programs still depend on it.',
    },
  ]
}

/** A pending login: waiting or expired. */
export const pendingAge: Check = (s) => {
  const r = readPending(s)
  const p = 'value' in r ? r.value : undefined
  if (!p) return []
  const age = s.now - p.created_at
  if (p.expires_at <= s.now) {
    return [
      {
        id: 'pending_expired',
        severity: 'info',
        message: `A ${p.method} sign-in started ${ago(age)} ago has expired`,
        hint: `Nothing is required: the next ${run('start')} replaces it.`,
      },
    ]
  }
  return [
    {
      id: 'pending_login',
      severity: 'info',
      message: `A ${p.method} sign-in started ${ago(age)} ago is waiting for approval (expires in ${ago(p.expires_at - s.now)})`,
      hint: `Ask the user to approve, then run ${run('poll')} after their reply; or ${run('start', '--force')} to begin again.`,
    },
  ]
}

/** A live browser sign-in whose callback listener process has gone (crashed, killed, cancelled). */
export const listener: Check = (s) => {
  const r = readPending(s)
  const p = 'value' in r ? r.value : undefined
  if (p?.method !== 'browser' || !p.listener || p.outcome || p.expires_at <= s.now) return []
  if (processAlive(p.listener.pid)) return []
  return [
    {
      id: 'listener_gone',
      severity: 'warning',
      message: `The browser sign-in's callback listener (pid ${p.listener.pid}, port ${p.listener.port}) is no longer running`,
      hint: `Finish with the paste fallback (${run('callback', '--url', "'<the address the browser ended on>'")}), or run ${run('start', '--method', 'browser', '--force')}.`,
    },
  ]
}

/** Environment variables that would take over from the ChatGPT sign-in. */
export const conflictingEnv: Check = (s) =>
  s.ctx.config.conflictingEnv.map((name) => ({
    id: 'conflicting_env',
    severity: 'warning' as const,
    message: `${name} is set: hosts and the Codex CLI may use it instead of the ChatGPT sign-in`,
    hint: `Unset ${name} in the agent's environment to use the subscription.`,
  }))
