/**
 * Typed state files: read = lstat-checked read + JSON + zod; write = write-file-atomic at 0600.
 * A file that fails validation is reported as `state_corrupt` and left exactly as it is.
 */
import { constants, promises as fsp } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type * as z from '../zod.js'
import { SkillError } from '../result.js'
import { checkWritable, fsError, readPrivate, type FixNote } from './fsafe.js'

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

/** An unreadable file a write moved aside instead of overwriting (reported in results). */
export interface MovedAside {
  file: string
  to: string
  reason: string
}

/** What a write did besides writing: orphan temps removed, an unreadable file moved aside. */
export interface WriteReport {
  swept: string[]
  moved_aside?: MovedAside
}

export interface WriteOptions {
  /** The caller holds this file's lock: orphan temps of an interrupted write are removed. */
  locked?: boolean
  /**
   * Validate what is on disk first: a file that exists but fails validation (truncated, edited,
   * a newer schemaVersion) is moved aside as `<name>.corrupt-<time>` rather than overwritten.
   */
  keep?: { schema: z.ZodMiniType; now: number }
  /** Space set aside before a request ({@link reserveSpace}); released just before the write. */
  reservation?: Reservation
}

/**
 * Atomically replaces a state file with mode 0600 (write-file-atomic: temp, fsync, rename).
 * @throws SkillError `disk_full` | `state_readonly` | `state_unsafe` (never `internal_error` for
 *   a file-system condition the user can fix).
 */
export async function writeJson(
  path: string,
  value: unknown,
  opts: WriteOptions = {},
): Promise<WriteReport> {
  // Loaded on first write: read-only commands (status, token) never pay for it.
  const { default: writeFileAtomic } = await import('write-file-atomic')
  try {
    await checkWritable(path)
    const moved_aside = opts.keep ? await keepUnreadable(path, opts.keep) : undefined
    const swept = opts.locked ? await sweepTemps(path) : []
    const text = `${JSON.stringify(value, null, 2)}\n`
    // Freed only now: on a full disk the blocks it held are the room this write needs.
    await opts.reservation?.release()
    await writeFileAtomic(path, text, { mode: 0o600, fsync: true })
    return moved_aside ? { swept, moved_aside } : { swept }
  } catch (err) {
    throw fsError(err, path)
  }
}

/** Moves `path` aside when it exists but does not validate; returns the move, if any. */
async function keepUnreadable(
  path: string,
  keep: NonNullable<WriteOptions['keep']>,
): Promise<MovedAside | undefined> {
  try {
    await readJson(path, keep.schema)
    return undefined
  } catch (err) {
    if (!(err instanceof SkillError) || err.code !== 'state_corrupt') throw err
    const to = await moveAside(path, keep.now)
    return to ? { file: path, to, reason: err.message } : undefined
  }
}

/** Disk space held for a write that must not fail for lack of it. */
export interface Reservation {
  readonly path: string
  /** Frees the space (removes the placeholder). Idempotent. */
  release(): Promise<void>
}

/** Smallest reservation: a credentials file with three JWTs is ~4-6 KiB. */
const MIN_RESERVE = 16 * 1024

/**
 * Sets aside, next to `path`, room for the next version of it: a placeholder of zeros
 * (`<name>.reserve`, 0600, never a secret) at least twice the current file and 16 KiB, written
 * and fsynced so the blocks are really allocated. Call it BEFORE a request whose answer must be
 * stored (a token rotation): a disk that is already full fails here, before the server changes
 * anything. {@link writeJson} with `reservation` frees it just before writing. Call under the
 * file's lock (one placeholder per file).
 * @throws SkillError `disk_full` | `state_readonly` | `state_unsafe`.
 */
export async function reserveSpace(path: string): Promise<Reservation> {
  const spot = `${path}.reserve`
  const size = await fsp
    .lstat(path)
    .then((st) => st.size)
    .catch(() => 0)
  const bytes = Math.max(MIN_RESERVE, size * 2)
  let released = false
  const release = async () => {
    if (released) return
    released = true
    await fsp.rm(spot, { force: true })
  }
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW
    const fh = await fsp.open(spot, flags, 0o600)
    try {
      // writeFile loops over short writes: a nearly full disk answers ENOSPC, not a short file.
      await fh.writeFile(Buffer.alloc(bytes))
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch (err) {
    await release().catch(() => {})
    throw fsError(err, path)
  }
  return { path: spot, release }
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
