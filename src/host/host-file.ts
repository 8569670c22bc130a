/**
 * Read-merge-write of a host's own JSON config file (pi's models.json, OpenClaw's
 * openclaw.json). Another program owns the file, so a write must never leave it unable to
 * start: keys that are not ours keep their values and their order, the previous file is kept as
 * `<file>.bak`, the write is atomic, an unchanged result writes nothing, and anything we do not
 * understand leaves the file byte-identical with a `host_config_unrecognized` report.
 *
 * @see docs/hosts.md "When a write is refused"
 */
import { copyFile, chmod, mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import type { Ctx } from '../context.js'
import { lockOptions, withLock } from '../store/lock.js'
import { checkWritable, ensureDir } from '../store/fsafe.js'

export type Json = Record<string, unknown>

/** The code a refused host-file write carries (in `ErrorCode`, src/result.ts). */
export const UNRECOGNIZED = 'host_config_unrecognized' as const

export interface HostFileReport {
  path: string
  action: 'written' | 'unchanged' | 'skipped'
  /** Where the previous version was copied before it was replaced. */
  backup?: string
  /** Why nothing was written (`skipped`); the file is then byte-identical. */
  reason?: string
  /** Set with `reason`: a stable code to switch on. */
  code?: typeof UNRECOGNIZED
}

/** What a mutation says: true when applied, else why the document is not one it can change. */
export type Mutate = (doc: Json) => true | string

/** True for a plain JSON object (not null, not an array). Never throws. */
export const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The object at `doc[key]`, created (appended last) when absent; undefined if it is not an object.
 * Never throws.
 */
export function child(doc: Json, key: string, create: boolean): Json | undefined {
  if (!(key in doc)) {
    if (!create) return undefined
    doc[key] = {}
  }
  const v = doc[key]
  return isObject(v) ? v : undefined
}

/** True when `v` is an object whose keys all belong to `allowed` (the keys we write). Never throws. */
export const onlyKeys = (v: unknown, allowed: readonly string[]): v is Json =>
  isObject(v) && Object.keys(v).every((k) => allowed.includes(k))

/**
 * The first number literal in `text` that JSON.parse cannot hold exactly (beyond ±2^53 as an
 * integer, or out of double range): rewriting the file would silently change that value.
 * Never throws.
 */
export function lossyNumber(text: string): string | undefined {
  // Strings can hold digits: blank them out first.
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""')
  for (const lit of bare.match(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g) ?? []) {
    const n = Number(lit)
    if (!Number.isFinite(n) || (/^-?\d+$/.test(lit) && !Number.isSafeInteger(n))) return lit
  }
  return undefined
}

export type Plan = { skip: string } | { unchanged: true } | { next: string }

/**
 * The pure half of an update: what to do with the file's current `text` (undefined = absent).
 * Refuses (`skip`) a file that is not plain JSON, not an object at the top level, holds a number
 * a rewrite would change, or that `mutate` does not recognise; and refuses a result that would
 * not read back as exactly what was meant (a value JSON cannot hold). Never throws, unless
 * `mutate` does.
 */
export function planUpdate(text: string | undefined, mutate: Mutate): Plan {
  let doc: unknown = {}
  if (text !== undefined && text.trim() !== '') {
    try {
      doc = JSON.parse(text)
    } catch {
      // JSON5 or comments: rewriting would drop them, so leave the file to the user.
      return { skip: 'the file is not plain JSON (comments or JSON5?)' }
    }
    const lossy = lossyNumber(text)
    if (lossy) return { skip: `the number ${lossy} would change if the file were rewritten` }
  }
  if (!isObject(doc)) return { skip: 'the file does not hold a JSON object at the top level' }
  const before = JSON.stringify(doc)
  const ok = mutate(doc)
  if (ok !== true) return { skip: ok }
  let next: string
  try {
    next = `${JSON.stringify(doc, null, 2)}\n`
  } catch {
    return { skip: 'the updated file cannot be written as JSON' }
  }
  if (text !== undefined && JSON.stringify(doc) === before) return { unchanged: true }
  // What the host will read must be exactly what we meant (NaN or Infinity would become null).
  if (!isDeepStrictEqual(JSON.parse(next), doc))
    return { skip: 'the updated file would not read back as written' }
  return { next }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    return undefined
  }
}

const skipped = (path: string, reason: string): HostFileReport => ({
  path,
  action: 'skipped',
  reason: `${reason}; it was left as it is`,
  code: UNRECOGNIZED,
})

/**
 * Applies `mutate` to the parsed file and writes the result, or reports why not. `create`:
 * whether a missing file may be created (true when adding entries, false when removing them).
 * A refusal is a `skipped` report with code `host_config_unrecognized`, not a throw.
 * @throws SkillError `state_unsafe` (a symlinked or foreign-owned file), `lock_timeout`.
 */
export async function updateHostFile(
  ctx: Ctx,
  path: string,
  create: boolean,
  mutate: Mutate,
): Promise<HostFileReport> {
  // One lock in our own state dir: no stray lock directories in the host's config directory.
  await ensureDir(ctx.config.home)
  return withLock(join(ctx.config.home, 'hosts'), lockOptions(ctx), async () => {
    // The host (or its user) writes this file without our lock: a file that changed between
    // our read and our write is read again rather than overwritten with a merge of the old one.
    for (let attempt = 0; attempt < 3; attempt++) {
      const text = await readText(path)
      if (text === undefined && !create) return { path, action: 'unchanged' }
      const plan = planUpdate(text, mutate)
      if ('skip' in plan) return skipped(path, plan.skip)
      if ('unchanged' in plan) return { path, action: 'unchanged' }
      await checkWritable(path)
      if ((await readText(path)) !== text) continue
      let backup: string | undefined
      if (text !== undefined) {
        backup = `${path}.bak`
        await copyFile(path, backup)
        await chmod(backup, 0o600)
      } else {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 })
      }
      const { default: writeFileAtomic } = await import('write-file-atomic')
      await writeFileAtomic(path, plan.next, { mode: 0o600, fsync: true })
      return { path, action: 'written', ...(backup ? { backup } : {}) }
    }
    return skipped(path, 'the file kept changing while it was being updated')
  })
}
