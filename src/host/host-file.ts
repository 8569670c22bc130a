/**
 * Read-merge-write of a host's own JSON config file (pi's models.json, OpenClaw's
 * openclaw.json): keys that are not ours keep their values and their order, the previous file
 * is kept as `<file>.bak`, the write is atomic, and an unchanged result writes nothing.
 */
import { copyFile, chmod, mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Ctx } from '../context.js'
import { writeJson } from '../store/json-file.js'
import { lockOptions, withLock } from '../store/lock.js'
import { ensureDir } from '../store/fsafe.js'

export type Json = Record<string, unknown>

export interface HostFileReport {
  path: string
  action: 'written' | 'unchanged' | 'skipped'
  /** Where the previous version was copied before it was replaced. */
  backup?: string
  /** Why nothing was written (`skipped`). */
  reason?: string
}

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

/**
 * Applies `mutate` to the parsed file. `mutate` returns false when the document's shape is not
 * one it can safely change (then nothing is written). `create`: whether a missing file may be
 * created (true when adding entries, false when removing them).
 * @throws SkillError `state_unsafe`, `lock_timeout` (a file it cannot parse is skipped and reported, not thrown).
 */
export async function updateHostFile(
  ctx: Ctx,
  path: string,
  create: boolean,
  mutate: (doc: Json) => boolean | string,
): Promise<HostFileReport> {
  // One lock in our own state dir: no stray lock directories in the host's config directory.
  await ensureDir(ctx.config.home)
  return withLock(join(ctx.config.home, 'hosts'), lockOptions(ctx), async () => {
    let text: string | undefined
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (text === undefined && !create) return { path, action: 'unchanged' }
    let doc: unknown = {}
    if (text !== undefined && text.trim() !== '') {
      try {
        doc = JSON.parse(text)
      } catch {
        // JSON5 or comments: rewriting would drop them, so leave the file to the user.
        return {
          path,
          action: 'skipped',
          reason: 'the file is not plain JSON (comments or JSON5?); it was left as it is',
        }
      }
    }
    if (!isObject(doc))
      return { path, action: 'skipped', reason: 'the file does not hold a JSON object' }
    const before = JSON.stringify(doc)
    const ok = mutate(doc)
    if (ok !== true) {
      return { path, action: 'skipped', reason: typeof ok === 'string' ? ok : 'unexpected shape' }
    }
    if (text !== undefined && JSON.stringify(doc) === before) return { path, action: 'unchanged' }
    let backup: string | undefined
    if (text !== undefined) {
      backup = `${path}.bak`
      await copyFile(path, backup)
      await chmod(backup, 0o600)
    } else {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    }
    await writeJson(path, doc)
    return { path, action: 'written', ...(backup ? { backup } : {}) }
  })
}
