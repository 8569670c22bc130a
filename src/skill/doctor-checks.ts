/**
 * `doctor`'s checks: each a small pure function of the {@link Snapshot} returning findings.
 * Later features (listener, gateway) add their own function to {@link CHECKS}.
 */
import { basename } from 'node:path'
import { SCHEMA_VERSION } from '../store/json-file.js'
import { Credentials, Pending } from '../store/schemas.js'
import type { Entry, Snapshot } from './doctor-snapshot.js'

export interface Finding {
  id: string
  severity: 'info' | 'warning' | 'error'
  message: string
  /** What to do about it; null when nothing is needed. */
  fix: string | null
}

export type Check = (s: Snapshot) => Finding[]

const octal = (mode: number) => mode.toString(8).padStart(4, '0')
const ago = (ms: number) => `${Math.round(ms / 1000)} s`
/** Clock skew beyond this makes the 5-minute refresh window unreliable. */
export const SKEW_LIMIT_MS = 2 * 60_000

const foreign = (s: Snapshot, e: Entry) =>
  s.uid !== undefined && e.uid !== undefined && e.uid !== s.uid

const stateDir: Check = (s) => {
  const { home } = s
  if (home.kind === 'missing') {
    return [
      {
        id: 'state_dir_missing',
        severity: 'info',
        message: `The state directory ${home.path} does not exist yet`,
        fix: 'Nothing to do: start creates it.',
      },
    ]
  }
  const unsafe = (why: string): Finding => ({
    id: 'state_dir_unsafe',
    severity: 'error',
    message: `The state directory ${home.path} ${why}; every command refuses it`,
    fix: 'Remove or fix it, or set CHATGPT_CODEX_HOME to another directory.',
  })
  if (home.kind === 'symlink') return [unsafe('is a symbolic link')]
  if (home.kind !== 'dir') return [unsafe('is not a directory')]
  if (foreign(s, home)) return [unsafe(`is owned by uid ${home.uid}, not the current user`)]
  if ((home.mode! & 0o077) !== 0) {
    return [
      {
        id: 'state_dir_mode',
        severity: 'warning',
        message: `The state directory ${home.path} has mode ${octal(home.mode!)}; it should be 0700`,
        fix: `chmod 700 ${home.path} (the next command that reads state does it and reports it).`,
      },
    ]
  }
  return []
}

const fileModes: Check = (s) =>
  Object.values(s.files).flatMap((f): Finding[] => {
    const name = basename(f.path)
    const unsafe = (why: string): Finding[] => [
      {
        id: 'state_file_unsafe',
        severity: 'error',
        message: `${f.path} ${why}; it is refused, never followed`,
        fix: `Remove ${f.path} (or replace it with a regular file), then run start.`,
      },
    ]
    if (f.kind === 'missing' || f.kind === 'file') {
      if (f.kind === 'file' && foreign(s, f)) return unsafe(`is owned by uid ${f.uid}`)
      if (f.kind === 'file' && (f.mode! & 0o077) !== 0) {
        return [
          {
            id: 'state_file_mode',
            severity: 'warning',
            message: `${name} has mode ${octal(f.mode!)}; it should be 0600`,
            fix: `chmod 600 ${f.path} (the next command that reads it does it and reports it).`,
          },
        ]
      }
      return []
    }
    return unsafe(f.kind === 'symlink' ? 'is a symbolic link' : 'is not a regular file')
  })

/** Parses a state file's text: the value, or why it cannot be used. */
function parseState<T>(
  e: Entry,
  schema: { safeParse(v: unknown): { success: boolean; data?: T } },
) {
  if (e.text === undefined) return { value: undefined }
  if (e.text.trim() === '') return { problem: 'is empty' }
  let data: unknown
  try {
    data = JSON.parse(e.text)
  } catch {
    return { problem: 'is not valid JSON (truncated or edited?)' }
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof version === 'number' && version > SCHEMA_VERSION) return { newer: version }
  const parsed = schema.safeParse(data)
  return parsed.success
    ? { value: parsed.data as T, version }
    : { problem: 'does not have the expected shape' }
}

export const readCredentials = (s: Snapshot) =>
  parseState<Credentials>(s.files.credentials, Credentials)
const readPending = (s: Snapshot) => parseState<Pending>(s.files.pending, Pending)

const schema: Check = (s) =>
  (
    [
      [s.files.credentials, readCredentials(s)],
      [s.files.pending, readPending(s)],
    ] as const
  ).flatMap(([f, r]): Finding[] => {
    const name = basename(f.path)
    if ('newer' in r) {
      return [
        {
          id: 'state_schema_newer',
          severity: 'error',
          message: `${name} has schema version ${r.newer}; this build reads up to ${SCHEMA_VERSION}`,
          fix: 'Upgrade chatgpt-codex-onboarding; the file is kept as it is.',
        },
      ]
    }
    if ('problem' in r) {
      return [
        {
          id: 'state_file_corrupt',
          severity: 'error',
          message: `${name} ${r.problem}`,
          fix: 'Run logout (it moves the file aside, never deletes it), then start to sign in again.',
        },
      ]
    }
    if (r.value === undefined) return []
    return [
      {
        id: 'schema_version',
        severity: 'info',
        message: `${name}: schema version ${String(r.version)} (this build reads up to ${SCHEMA_VERSION})`,
        fix: null,
      },
    ]
  })

const locks: Check = (s) =>
  s.locks.map((l): Finding => {
    const age = s.now - (l.mtimeMs ?? s.now)
    const stale = age > s.ctx.config.lockStaleMs
    return stale
      ? {
          id: 'stale_lock',
          severity: 'warning',
          message: `${l.path} was last refreshed ${ago(age)} ago (stale after ${s.ctx.config.lockStaleMs} ms): its holder stopped without releasing it`,
          fix: `Nothing is required: the next call takes it over. To clear it now: rmdir ${l.path}`,
        }
      : {
          id: 'lock_held',
          severity: 'info',
          message: `${l.path} is held by a running process (refreshed ${ago(age)} ago)`,
          fix: null,
        }
  })

const tempFiles: Check = (s) =>
  s.tempFiles.length === 0
    ? []
    : [
        {
          id: 'temp_files',
          severity: 'warning',
          message: `${s.tempFiles.length} temporary file(s) left by an interrupted write: ${s.tempFiles.map((f) => basename(f)).join(', ')}`,
          fix: 'Nothing is required: the next write of that file removes them.',
        },
      ]

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
  if (s.registry.text !== undefined) {
    try {
      const doc = JSON.parse(s.registry.text) as { provider?: { state?: unknown } }
      state = typeof doc.provider?.state === 'string' ? doc.provider.state : 'unknown'
    } catch {
      state = 'unreadable'
    }
  }
  const out: Finding[] = []
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
  conflicting_env: conflictingEnv,
  registry,
}
