/**
 * `doctor`'s checks of the state files themselves: directory and file modes and owners, symlinks,
 * content and schema version, locks, temp files. Pure functions of the {@link Snapshot}.
 */
import { basename } from 'node:path'
import { run } from '../result.js'
import { SCHEMA_VERSION } from '../store/json-file.js'
import type { Check, Finding } from './finding.js'
import { ago } from './finding.js'
import { readCredentials, readPending } from './parse.js'
import type { Entry, Snapshot } from './snapshot.js'

const octal = (mode: number) => mode.toString(8).padStart(4, '0')

const foreign = (s: Snapshot, e: Entry) =>
  s.uid !== undefined && e.uid !== undefined && e.uid !== s.uid

/** The state directory: present, a real directory, ours, 0700. Never throws. */
export const stateDir: Check = (s) => {
  const { home } = s
  if (home.kind === 'missing') {
    return [
      {
        id: 'state_dir_missing',
        severity: 'info',
        message: `The state directory ${home.path} does not exist yet`,
        hint: `Nothing to do: ${run('start')} creates it.`,
      },
    ]
  }
  const unsafe = (why: string): Finding => ({
    id: 'state_dir_unsafe',
    severity: 'error',
    message: `The state directory ${home.path} ${why}; every command refuses it`,
    hint: 'Remove or fix it, or set CHATGPT_CODEX_HOME to another directory.',
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
        hint: `chmod 700 ${home.path} (the next command that reads state does it and reports it).`,
      },
    ]
  }
  return []
}

/** Each state file: a regular file (no symlink), ours, 0600. Never throws. */
export const fileModes: Check = (s) =>
  Object.values(s.files).flatMap((f): Finding[] => {
    const name = basename(f.path)
    const unsafe = (why: string): Finding[] => [
      {
        id: 'state_file_unsafe',
        severity: 'error',
        message: `${f.path} ${why}; it is refused, never followed`,
        hint: `Remove ${f.path} (or replace it with a regular file), then run ${run('start')}.`,
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
            hint: `chmod 600 ${f.path} (the next command that reads it does it and reports it).`,
          },
        ]
      }
      return []
    }
    return unsafe(f.kind === 'symlink' ? 'is a symbolic link' : 'is not a regular file')
  })

/** Each state file's content: valid JSON of the expected shape and a known schema version. Never throws. */
export const schema: Check = (s) =>
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
          hint: 'Upgrade chatgpt-codex-onboarding; the file is kept as it is.',
        },
      ]
    }
    if ('problem' in r) {
      return [
        {
          id: 'state_file_corrupt',
          severity: 'error',
          message: `${name} ${r.problem}`,
          hint: `Run ${run('logout')} (it moves the file aside, never deletes it), then ${run('start')} to sign in again.`,
        },
      ]
    }
    if (r.value === undefined || r.version === undefined) return []
    return [
      {
        id: 'schema_version',
        severity: 'info',
        message: `${name}: schema version ${String(r.version)} (this build reads up to ${SCHEMA_VERSION})`,
        hint: null,
      },
    ]
  })

/** Lock directories left behind, stale after the configured lock stale time. Never throws. */
export const locks: Check = (s) =>
  s.locks.map((l): Finding => {
    const age = s.now - (l.mtimeMs ?? s.now)
    const stale = age > s.ctx.config.lockStaleMs
    return stale
      ? {
          id: 'stale_lock',
          severity: 'warning',
          message: `${l.path} was last refreshed ${ago(age)} ago (stale after ${s.ctx.config.lockStaleMs} ms): its holder stopped without releasing it`,
          hint: `Nothing is required: the next call takes it over. To clear it now: rmdir ${l.path}`,
        }
      : {
          id: 'lock_held',
          severity: 'info',
          message: `${l.path} is held by a running process (refreshed ${ago(age)} ago)`,
          hint: null,
        }
  })

/** Leftover temp files of interrupted atomic writes. Never throws. */
export const tempFiles: Check = (s) =>
  s.tempFiles.length === 0
    ? []
    : [
        {
          id: 'temp_files',
          severity: 'warning',
          message: `${s.tempFiles.length} temporary file(s) left by an interrupted write: ${s.tempFiles.map((f) => basename(f)).join(', ')}`,
          hint: 'Nothing is required: the next write of that file removes them.',
        },
      ]
