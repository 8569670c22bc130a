/**
 * `doctor`'s checks of the sign-in itself: signed in or not, clock skew against the issuer, the
 * pending login, the browser listener, and environment variables that hijack a sign-in.
 */
import { clockOffset, localExpiry } from '../auth/clock.js'
import { processAlive } from '../proc.js'
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
        fix: 'Run start to sign in with ChatGPT.',
      },
    ]
  if (c.reauth) {
    return [
      {
        id: 'reauth_required',
        severity: 'error',
        message: `The sign-in has ended (${c.reauth.code})`,
        fix: 'Run logout, then start, to sign in again.',
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
        fix: 'Nothing is required: the next call that needs it refreshes it.',
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
        fix: null,
      },
    ]
  }
  const dir = worst > 0 ? 'ahead of' : 'behind'
  return [
    {
      id: 'clock_skew',
      severity: 'warning',
      message: `The local clock is about ${ago(Math.abs(worst))} ${dir} the issuer's (${skewS}, measured from the access token's iat when it arrived); token expiry decisions correct for it`,
      fix: 'Synchronise the system clock (NTP): TLS, logs and other programs still depend on it.',
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
        fix: 'Nothing is required: the next start replaces it.',
      },
    ]
  }
  return [
    {
      id: 'pending_login',
      severity: 'info',
      message: `A ${p.method} sign-in started ${ago(age)} ago is waiting for approval (expires in ${ago(p.expires_at - s.now)})`,
      fix: 'Ask the user to approve, then call poll; or start --force to begin again.',
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
      fix: 'Finish with the paste fallback (callback --url <the address the browser ended on>), or run start --method browser --force.',
    },
  ]
}

/** Environment variables that would take over from the ChatGPT sign-in. */
export const conflictingEnv: Check = (s) =>
  s.ctx.config.conflictingEnv.map((name) => ({
    id: 'conflicting_env',
    severity: 'warning' as const,
    message: `${name} is set: hosts and the Codex CLI may use it instead of the ChatGPT sign-in`,
    fix: `Unset ${name} in the agent's environment to use the subscription.`,
  }))
