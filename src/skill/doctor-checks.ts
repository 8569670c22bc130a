/**
 * `doctor`'s checks: each a small pure function of the {@link Snapshot} returning findings.
 * Later features (listener, gateway) add their own function to {@link CHECKS}.
 */
import type { Snapshot } from './doctor-snapshot.js'
import { processAlive } from '../proc.js'
import {
  ago,
  fileModes,
  locks,
  readCredentials,
  readPending,
  schema,
  stateDir,
  tempFiles,
} from './doctor-files.js'

export interface Finding {
  id: string
  severity: 'info' | 'warning' | 'error'
  message: string
  /** What to do about it; null when nothing is needed. */
  fix: string | null
}

export type Check = (s: Snapshot) => Finding[]

/** Clock skew beyond this makes the 5-minute refresh window unreliable. */
export const SKEW_LIMIT_MS = 2 * 60_000

const credentials: Check = (s) => {
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
  if (c.access_expires_at !== null && c.access_expires_at <= s.now) {
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

/** `last_refresh` is our clock when the token arrived; `iat` is the issuer's when it was minted. */
const clockSkew: Check = (s) => {
  const r = readCredentials(s)
  const c = 'value' in r ? r.value : undefined
  if (!c || c.access_issued_at === null) return []
  const skew = c.last_refresh - c.access_issued_at
  const future = c.access_issued_at - s.now
  const worst = Math.abs(skew) >= future ? skew : -future
  if (Math.abs(worst) <= SKEW_LIMIT_MS) {
    return [
      {
        id: 'clock_skew',
        severity: 'info',
        message: `The local clock is within ${ago(Math.abs(worst))} of the issuer's`,
        fix: null,
      },
    ]
  }
  const dir = worst > 0 ? 'ahead of' : 'behind'
  return [
    {
      id: 'clock_skew',
      severity: 'warning',
      message: `The local clock is about ${ago(Math.abs(worst))} ${dir} the issuer's (from the access token's iat)`,
      fix: 'Synchronise the system clock (NTP); token expiry decisions depend on it.',
    },
  ]
}

const pendingAge: Check = (s) => {
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
const listener: Check = (s) => {
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

const conflictingEnv: Check = (s) =>
  s.ctx.config.conflictingEnv.map((name) => ({
    id: 'conflicting_env',
    severity: 'warning' as const,
    message: `${name} is set: hosts and the Codex CLI may use it instead of the ChatGPT sign-in`,
    fix: `Unset ${name} in the agent's environment to use the subscription.`,
  }))

/** The registry (issue 4) says signed-in exactly when the credentials do; the marker follows it. */
const registry: Check = (s) => {
  const r = readCredentials(s)
  if (!('value' in r)) return []
  const signedIn = !!r.value && !r.value.reauth
  let state: string | undefined
  let readsHome: unknown
  if (s.registry.text !== undefined) {
    try {
      const doc = JSON.parse(s.registry.text) as {
        provider?: { state?: unknown; credential?: { env?: Record<string, unknown> } }
      }
      state = typeof doc.provider?.state === 'string' ? doc.provider.state : 'unknown'
      readsHome = doc.provider?.credential?.env?.CHATGPT_CODEX_HOME
    } catch {
      state = 'unreadable'
    }
  }
  const out: Finding[] = []
  if (typeof readsHome === 'string' && readsHome !== s.ctx.config.home) {
    out.push({
      id: 'registry_inconsistent',
      severity: 'warning',
      message: `The registry's credential command reads ${readsHome}, not this state dir (${s.ctx.config.home})`,
      fix: 'Run models --force with the CHATGPT_CODEX_HOME the hosts should use.',
    })
  }
  const registered = state === 'signed-in'
  if (signedIn && !registered) {
    out.push({
      id: 'registry_inconsistent',
      severity: 'warning',
      message:
        state === undefined
          ? `Signed in, but ${s.registry.path} does not exist: hosts do not list the models`
          : `Signed in, but ${s.registry.path} says "${state}"`,
      fix: 'Run models --force to register the models again.',
    })
  } else if (!signedIn && state !== undefined && registered) {
    out.push({
      id: 'registry_inconsistent',
      severity: 'warning',
      message: `Not signed in, but ${s.registry.path} still lists the models as signed-in`,
      fix: 'Run logout to unregister them.',
    })
  }
  if (state !== undefined && s.marker.kind === 'missing') {
    out.push({
      id: 'marker_missing',
      severity: 'warning',
      message: `${s.marker.path} is missing: hosts watching it will not notice registry changes`,
      fix: 'Run models --force to write it.',
    })
  } else if (state !== undefined && (s.marker.mtimeMs ?? 0) + 1000 < (s.registry.mtimeMs ?? 0)) {
    out.push({
      id: 'marker_stale',
      severity: 'warning',
      message: `${s.marker.path} is older than the registry: hosts may show an old model list`,
      fix: 'Run models --force to bump it.',
    })
  }
  return out
}

/** The gateway (`serve`): running where, or a record left by one that died. */
const gateway: Check = (s) => {
  const g = s.gateway
  if (!g) return []
  if (g.alive) {
    return [{ id: 'gateway_running', severity: 'info', message: `The gateway runs at ${g.url} (pid ${g.pid})`, fix: null }]
  }
  return [
    {
      id: 'gateway_gone',
      severity: 'warning',
      message: `A gateway was recorded at ${g.url} (pid ${g.pid}) but its process is gone`,
      fix: 'Run serve --detach to start it again, or serve --stop to clear the record.',
    },
  ]
}

/** Every offline check, in report order. */
export const CHECKS: Record<string, Check> = {
  state_dir: stateDir,
  file_modes: fileModes,
  schema,
  locks,
  temp_files: tempFiles,
  credentials,
  clock_skew: clockSkew,
  pending: pendingAge,
  listener,
  gateway,
  conflicting_env: conflictingEnv,
  registry,
}
