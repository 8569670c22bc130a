/**
 * Typed state files: read = lstat-checked read + JSON + zod; write = write-file-atomic at 0600.
 * A file that fails validation is reported as `state_corrupt` and left exactly as it is.
 */
import { promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type * as z from '../zod.js'
import { SkillError } from '../result.js'
import { checkWritable, readPrivate, type FixNote } from './fsafe.js'

/** The newest state schema this build understands. */
export const SCHEMA_VERSION = 1

function corrupt(path: string, why: string): SkillError {
  return new SkillError('state_corrupt', `The state file ${basename(path)} is unreadable: ${why}`, {
    extra: { path },
  })
}

/**
 * Reads and validates a JSON state file.
 * @returns the value, or undefined when the file does not exist.
 * @throws SkillError `state_corrupt` (kept on disk untouched) or `state_unsafe`.
 */
export async function readJson<S extends z.ZodMiniType>(
  path: string,
  schema: S,
  fixes?: FixNote[],
): Promise<z.infer<S> | undefined> {
  const text = await readPrivate(path, fixes)
  if (text === undefined) return undefined
  if (text.trim() === '') throw corrupt(path, 'it is empty')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw corrupt(path, 'it is not valid JSON (truncated or edited?)')
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    throw new SkillError(
      'state_corrupt',
      `The state file ${basename(path)} was written by a newer version (schema ${version}; this one reads ${SCHEMA_VERSION})`,
      {
        hint: 'Upgrade chatgpt-codex-onboarding. The file has been kept as it is.',
        extra: { path },
      },
    )
  }
  const parsed = schema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw corrupt(path, `unexpected content at ${issue?.path.join('.') || 'top level'}`)
  }
  return parsed.data
}

/**
 * Matches the temp names write-file-atomic gives `<file>` while writing: `<file>.<uint32>`.
 * Never throws.
 */
export const isTempOf = (file: string, name: string) =>
  name.startsWith(`${file}.`) && /^\d{1,10}$/.test(name.slice(file.length + 1))

/**
 * Removes temp files of `path` that an interrupted write left (a SIGKILL skips
 * write-file-atomic's exit cleanup). Only safe while holding the file's lock: then no other
 * writer of this file is running. Returns what was removed.
 */
async function sweepTemps(path: string): Promise<string[]> {
  const dir = dirname(path)
  const file = basename(path)
  const names = await fsp.readdir(dir).catch(() => [] as string[])
  const orphans = names.filter((n) => isTempOf(file, n)).map((n) => join(dir, n))
  await Promise.all(orphans.map((o) => fsp.rm(o, { force: true })))
  return orphans
}

/**
 * Atomically replaces a state file with mode 0600. With `locked` (the caller holds this file's
 * lock), temp files left by an interrupted earlier write are removed first; their paths are
 * returned.
 * @throws SkillError `state_unsafe`.
 */
export async function writeJson(
  path: string,
  value: unknown,
  opts: { locked?: boolean } = {},
): Promise<string[]> {
  // Loaded on first write: read-only commands (status, token) never pay for it.
  const { default: writeFileAtomic } = await import('write-file-atomic')
  await checkWritable(path)
  const swept = opts.locked ? await sweepTemps(path) : []
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, fsync: true })
  return swept
}

/**
 * Removes a state file; true when something was removed.
 * @throws SkillError `state_unsafe`.
 */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await fsp.rm(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/**
 * Moves an unreadable file aside (never deletes it); returns the new path, or undefined if absent.
 * @throws SkillError `state_unsafe`.
 */
export async function moveAside(path: string, now: number): Promise<string | undefined> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
  const target = `${path}.corrupt-${stamp}`
  try {
    await fsp.rename(path, target)
    return target
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
