/**
 * What `doctor` looks at, gathered once and strictly read-only: `lstat` and `O_NOFOLLOW` reads,
 * no directory created, no permission tightened, no lock taken. The checks are pure functions
 * of this snapshot.
 */
import { constants } from 'node:fs'
import { lstat, open, readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Ctx } from '../context.js'
import { registryPaths } from '../host/registry.js'
import { readGatewayRecord } from '../store/gateway-record.js'
import { isTempOf, readJson } from '../store/json-file.js'
import { statePaths } from '../store/paths.js'
import { processAlive } from '../proc.js'

/** One path as found on disk (never followed if it is a symlink). */
export interface Entry {
  path: string
  kind: 'missing' | 'file' | 'dir' | 'symlink' | 'other'
  mode?: number
  uid?: number
  mtimeMs?: number
  /** Content of a regular file (first 1 MiB). */
  text?: string
}

/** Everything the checks look at, gathered once. */
export interface Snapshot {
  ctx: Ctx
  now: number
  uid: number | undefined
  home: Entry
  /** The state files this build reads, by short name. */
  files: Record<'credentials' | 'pending', Entry>
  /** Lock directories proper-lockfile may have left. */
  locks: Entry[]
  /** Leftover write-file-atomic temp files (`<state file>.<digits>`) in the state dir. */
  tempFiles: string[]
  registry: Entry
  marker: Entry
  /** The gateway record (`gateway.json`), if any, and whether its process lives. */
  gateway: { url: string; pid: number; alive: boolean } | null
}

const MAX_READ = 1 << 20

/** lstat + (for a regular file) a no-follow read. Never throws for a missing path. */
export async function inspect(path: string, read = true): Promise<Entry> {
  let st
  try {
    st = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'missing' }
    throw err
  }
  const kind = st.isSymbolicLink()
    ? 'symlink'
    : st.isDirectory()
      ? 'dir'
      : st.isFile()
        ? 'file'
        : 'other'
  const entry: Entry = { path, kind, mode: st.mode & 0o777, uid: st.uid, mtimeMs: st.mtimeMs }
  if (kind === 'file' && read) {
    // O_NOFOLLOW: a file swapped for a symlink between lstat and open is not followed.
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)
    if (fh) {
      try {
        const buf = Buffer.alloc(Math.min(st.size, MAX_READ))
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
        entry.text = buf.subarray(0, bytesRead).toString('utf8')
      } finally {
        await fh.close()
      }
    }
  }
  return entry
}

/** Gathers everything the checks need. Reads only; never throws. */
export async function takeSnapshot(ctx: Ctx, credentialsPath: string): Promise<Snapshot> {
  const p = statePaths(ctx.config.home)
  const home = await inspect(p.home, false)
  const names = home.kind === 'dir' ? await readdir(p.home).catch(() => [] as string[]) : []
  const stateFiles = [basename(p.credentials), basename(p.pending)]
  const lockPaths = [`${p.credentialsLock}.lock`, `${p.pendingLock}.lock`, `${p.cacheLock}.lock`]
  const registry = registryPaths(ctx)
  return {
    ctx,
    now: ctx.now(),
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    home,
    files: { credentials: await inspect(credentialsPath), pending: await inspect(p.pending) },
    locks: (await Promise.all(lockPaths.map((l) => inspect(l, false)))).filter(
      (e) => e.kind !== 'missing',
    ),
    tempFiles: names
      .filter((n) => stateFiles.some((f) => isTempOf(f, n)))
      .map((n) => join(p.home, n)),
    registry: await inspect(registry.provider),
    marker: await inspect(registry.marker),
    gateway: await gatewayRecord(ctx),
  }
}

async function gatewayRecord(ctx: Ctx): Promise<Snapshot['gateway']> {
  const info = await readGatewayRecord(ctx)
  return info ? { url: info.url, pid: info.pid, alive: processAlive(info.pid) } : null
}
