/**
 * The live model feed, `GET /v1/models/events` (server-sent events). A host's web UI subscribes
 * once and gets `event: models` on connect and again within a second of every bump of the
 * registry marker, whichever process bumped it (a sign-in, a logout, a catalog change), so its
 * picker follows the sign-in with no reload.
 *
 * One watcher serves every subscriber: `fs.watch` on the registry directory for speed, backed by
 * a `stat` poll of the marker (at most 1 s) because `fs.watch` misses events on some filesystems
 * (network mounts, some container overlays) and stops when the directory is replaced. The poll
 * also stats the credential file: a sign-in as another account with the same catalog leaves the
 * marker alone, and the event's account must still follow it.
 */
import { watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { basename, dirname } from 'node:path'
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import {
  readRegistry,
  registryPaths,
  type RegistryModel,
  type RegistryState,
} from '../host/registry.js'
import { readJson } from '../store/json-file.js'
import { openStore } from '../store/credentials.js'

/** One model as `GET /v1/models` lists it (OpenAI's list form, bare slug as id). */
export interface OpenAiModel {
  id: string
  object: 'model'
  created: number
  owned_by: string
}

/** The payload of every `event: models`. Never carries a token. */
export interface ModelsEvent {
  /** The marker's version (0 before the first registration). */
  version: number
  state: RegistryState
  account: { email: string | null; plan: string | null } | null
  models: OpenAiModel[]
}

export interface FeedOptions {
  /** Marker stat poll interval; at most 1000 (default 500). */
  pollMs?: number
  /** SSE comment heartbeat interval (default 15 s). */
  heartbeatMs?: number
  /** False disables `fs.watch` (tests prove the poll alone keeps the 1 s promise). */
  fsWatch?: boolean
}

export interface ModelFeed {
  /** The current event, read from disk. */
  snapshot(): Promise<ModelsEvent>
  /** Turns `res` into an SSE stream: headers, the current event, then every change. */
  subscribe(res: ServerResponse): Promise<void>
  /** Live subscribers. */
  readonly subscribers: number
  /** Running watchers: 1 while anyone subscribes, else 0. Never more. */
  readonly watchers: number
  /** How many times a watcher was started, and how many disk reads the changes caused. */
  readonly stats: { watchStarts: number; reads: number }
  /** Ends every stream and stops the watcher (gateway shutdown). */
  close(): void
}

/** Epoch seconds the OpenAI list form wants in `created`; the catalog has no date, so a constant. */
export const MODEL_CREATED = 1_700_000_000

/** A registry model as `/v1/models` lists it. Never fails. @see docs/gateway.md#models */
export function openAiModel(m: Pick<RegistryModel, 'upstreamModel'>): OpenAiModel {
  return { id: m.upstreamModel, object: 'model', created: MODEL_CREATED, owned_by: 'openai-codex' }
}

const MARKER_NAME = 'models-changed'
const Marker = z.object({ version: z.int().check(z.nonnegative()) })

/**
 * Reads the registry, the marker and the signed-in account (email and plan only).
 * @throws SkillError `state_corrupt`, `state_unsafe` (an unreadable registry or credentials file).
 * @see docs/gateway.md#model-feed
 */
export async function readModelsEvent(ctx: Ctx): Promise<ModelsEvent> {
  const p = registryPaths(ctx)
  const [reg, marker, creds] = await Promise.all([
    readRegistry(ctx),
    readJson(p.marker, Marker).catch(() => undefined),
    openStore(ctx)
      .then((s) => s.read())
      .catch(() => undefined),
  ])
  const state = reg?.provider.state ?? 'signed-out'
  return {
    version: marker?.version ?? 0,
    state,
    account:
      creds && state !== 'signed-out'
        ? { email: creds.account.email, plan: creds.account.plan }
        : null,
    models: state === 'signed-in' ? (reg?.models ?? []).map(openAiModel) : [],
  }
}

/** One SSE frame for an event. */
export const modelsFrame = (e: ModelsEvent) => `event: models\ndata: ${JSON.stringify(e)}\n\n`

/**
 * Creates the feed for one gateway. The watcher starts with the first subscriber. Never fails;
 * a subscriber whose first read fails has its `subscribe` promise rejected.
 * @see docs/gateway.md#model-feed
 */
export function createModelFeed(ctx: Ctx, opts: FeedOptions = {}): ModelFeed {
  const pollMs = Math.min(opts.pollMs ?? 500, 1000)
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const { dir, marker } = registryPaths(ctx)
  const subs = new Set<ServerResponse>()
  let watcher: FSWatcher | undefined
  let parent: FSWatcher | undefined
  let poll: NodeJS.Timeout | undefined
  let beat: NodeJS.Timeout | undefined
  let lastStat = ''
  let lastSent = ''
  // Reads are serialised: a burst of watch events while one read runs causes exactly one more.
  let running: Promise<void> | undefined
  let again = false
  const stats = { watchStarts: 0, reads: 0 }

  const broadcast = (frame: string) => {
    for (const res of subs) res.write(frame)
  }

  const check = (): void => {
    if (running) {
      again = true
      return
    }
    running = (async () => {
      do {
        again = false
        stats.reads++
        const e = await readModelsEvent(ctx)
        const frame = modelsFrame(e)
        if (frame !== lastSent) {
          lastSent = frame
          broadcast(frame)
        }
      } while (again)
    })()
      .catch(() => undefined)
      .finally(() => (running = undefined))
  }

  const startFsWatch = () => {
    if (watcher || opts.fsWatch === false) return
    try {
      // Only the marker matters; the lock directory and temp files of a write are noise.
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === MARKER_NAME) check()
      })
      // The directory was removed or replaced: drop the watcher; the poll restarts it.
      watcher.on('error', () => stopFsWatch())
      parent?.close()
      parent = undefined
    } catch {
      // No registry directory yet (before the first sign-in): watch its parent for its creation,
      // then move to it. The poll covers a missing parent too.
      watcher = undefined
      if (parent) return
      try {
        parent = watch(dirname(dir), { persistent: false }, (_event, name) => {
          if (name === null || name === basename(dir)) void tick()
        })
        parent.on('error', () => (parent?.close(), (parent = undefined)))
      } catch {
        parent = undefined
      }
    }
  }
  const stopFsWatch = () => {
    watcher?.close()
    parent?.close()
    watcher = parent = undefined
  }

  let credentials: string | undefined
  const statKey = async (path: string) => {
    const st = await stat(path).catch(() => undefined)
    return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'none'
  }
  const tick = async () => {
    startFsWatch()
    credentials ??= await openStore(ctx).then(
      (s) => s.path,
      () => undefined,
    )
    const key = `${await statKey(marker)}|${credentials ? await statKey(credentials) : ''}`
    if (key !== lastStat) {
      lastStat = key
      check()
    }
  }

  const start = () => {
    if (poll) return
    stats.watchStarts++
    startFsWatch()
    void tick()
    poll = setInterval(() => void tick(), pollMs)
    beat = setInterval(() => broadcast(': heartbeat\n\n'), heartbeatMs)
    poll.unref()
    beat.unref()
  }
  const stop = () => {
    stopFsWatch()
    clearInterval(poll)
    clearInterval(beat)
    poll = beat = undefined
    lastStat = ''
  }

  return {
    snapshot: () => readModelsEvent(ctx),
    async subscribe(res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      res.flushHeaders()
      res.write('retry: 3000\n\n')
      res.on('close', () => {
        subs.delete(res)
        if (subs.size === 0) stop()
      })
      const e = await readModelsEvent(ctx)
      if (res.destroyed) return
      const frame = modelsFrame(e)
      res.write(frame)
      subs.add(res)
      if (!poll) {
        // The first subscriber: later changes are compared to what it has just seen.
        lastSent = frame
        start()
      } else if (frame !== lastSent) check()
    },
    get subscribers() {
      return subs.size
    },
    stats,
    get watchers() {
      return poll ? 1 : 0
    },
    close() {
      for (const res of subs) res.end()
      subs.clear()
      stop()
    },
  }
}
