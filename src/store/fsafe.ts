/**
 * Safe file-system primitives for the state directory: no symlinks followed, no foreign owner,
 * permissions tightened (and reported) rather than trusted.
 *
 * The read path (`ensureDir`, `readPrivate`) uses synchronous calls on purpose: state files are
 * a few KB in the page cache, and every promise-based call is a round trip through libuv's
 * thread pool (whose threads a cold process must first start). A cold `status` makes about ten
 * of them: synchronous, ~1 ms in all; through the pool, ~15 ms. A long-running gateway reads
 * these files only when their stat changes (src/gateway/memo.ts), so it does not block for long.
 * Promise-based calls elsewhere in the store use `fs.promises` (a lazy getter), not
 * `node:fs/promises`: a process that only reads then never loads that module (~3 ms).
 */
import { chmodSync, lstatSync, mkdirSync, promises as fsp, readFileSync } from 'node:fs'
import { SkillError } from '../result.js'

/** A permission repair made on the way, reported in results so nothing changes silently. */
export interface FixNote {
  path: string
  from: string
  to: string
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0')

function unsafe(path: string, why: string): SkillError {
  return new SkillError('state_unsafe', `Refusing to use ${path}: ${why}`, { extra: { path } })
}

/**
 * Creates the directory (0700) if needed, refuses a symlink or a directory owned by someone
 * else, and tightens group/world bits to 0700.
 * @throws SkillError `state_unsafe` (not a directory, a symlink, or not ours).
 */
export async function ensureDir(dir: string, fixes: FixNote[] = []): Promise<FixNote[]> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw fsError(err, dir)
  }
  const st = lstatSync(dir)
  if (st.isSymbolicLink()) throw unsafe(dir, 'it is a symbolic link')
  if (!st.isDirectory()) throw unsafe(dir, 'it is not a directory')
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw unsafe(dir, `it is owned by uid ${st.uid}, not by the current user`)
  }
  if ((st.mode & 0o077) !== 0) {
    chmodSync(dir, 0o700)
    fixes.push({ path: dir, from: octal(st.mode), to: '0700' })
  }
  return fixes
}

/**
 * Reads a state file. Missing -> undefined. A symlink is refused (it could point anywhere), a
 * file with group/world bits is tightened to 0600 and reported.
 * @throws SkillError `state_unsafe`.
 */
export async function readPrivate(
  path: string,
  fixes: FixNote[] = [],
): Promise<string | undefined> {
  const st = lstatSync(path, { throwIfNoEntry: false })
  if (!st) return undefined
  if (st.isSymbolicLink())
    throw unsafe(path, 'it is a symbolic link; state files must be regular files')
  if (!st.isFile()) throw unsafe(path, 'it is not a regular file')
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw unsafe(path, `it is owned by uid ${st.uid}, not by the current user`)
  }
  if ((st.mode & 0o077) !== 0) {
    chmodSync(path, 0o600)
    fixes.push({ path, from: octal(st.mode), to: '0600' })
  }
  return readFileSync(path, 'utf8')
}

/**
 * Refuses to write `path` when it is a symlink, not a regular file, or owned by someone else.
 * write-file-atomic resolves symlinks and writes to their target, and copies an existing file's
 * owner, so this check has to happen before every write, not only on reads.
 * @throws SkillError `state_unsafe`.
 */
export async function checkWritable(path: string): Promise<void> {
  let st
  try {
    st = await fsp.lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (st.isSymbolicLink()) {
    throw unsafe(path, 'it is a symbolic link; state files are never written through one')
  }
  if (!st.isFile()) throw unsafe(path, 'it is not a regular file')
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw unsafe(path, `it is owned by uid ${st.uid}, not by the current user`)
  }
}

/**
 * Turns a file-system error met while writing state into its coded {@link SkillError}, so that a
 * full disk, a read-only mount or a symlink trap never surfaces as `internal_error`:
 * ENOSPC/EDQUOT -> `disk_full`; EROFS/EACCES/EPERM -> `state_readonly`; ELOOP/ENOTDIR (a
 * symlink where a directory or regular file was expected) -> `state_unsafe`. Anything else (and
 * a SkillError) is returned as it is.
 */
export function fsError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SkillError('disk_full', `No space left to write ${path}`, {
      extra: { path },
      cause: err,
    })
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    const why = code === 'EROFS' ? 'the file system is read-only' : 'permission denied'
    return new SkillError('state_readonly', `Cannot write ${path}: ${why}`, {
      extra: { path },
      cause: err,
    })
  }
  if (code === 'ELOOP' || code === 'ENOTDIR') {
    return unsafe(path, 'a symbolic link or a file stands where a state file or directory belongs')
  }
  return err
}

/** Refuses a symlink at `path` (a lock directory, a log file) before anything is created there. */
export function refuseSymlink(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false })
  if (st?.isSymbolicLink()) {
    throw unsafe(
      path,
      'it is a symbolic link; nothing in the state directory is written through one',
    )
  }
}
