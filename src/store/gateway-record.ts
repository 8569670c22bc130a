/**
 * `<state>/gateway.json`: which gateway runs (pid, port, url). The store owns this record: it is
 * read by `status`, `doctor` and the registry without any request, and written only by the
 * gateway's process handling (src/gateway/process.ts).
 */
import { join } from 'node:path'
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import { processAlive } from '../proc.js'
import { ensureDir } from './fsafe.js'
import { readJson, removeFile, writeJson } from './json-file.js'

/** Built on first use: most processes find no gateway record to read. */
export const GatewayRecord = z.lazy(() =>
  z.object({ pid: z.number(), port: z.number(), url: z.string(), started_at: z.string() }),
)
export type GatewayRecord = z.infer<typeof GatewayRecord>

/** Where the gateway's record and its detached log live. Never throws. */
export const gatewayPaths = (ctx: Ctx) => ({
  info: join(ctx.config.home, 'gateway.json'),
  log: join(ctx.config.home, 'gateway.log'),
})

/**
 * The record as stored, whether or not its process lives; undefined when missing or
 * unreadable (a bad record means "no gateway", never a failure). Never throws.
 */
export async function readGatewayRecord(ctx: Ctx): Promise<GatewayRecord | undefined> {
  return readJson(gatewayPaths(ctx).info, GatewayRecord).catch(() => undefined)
}

/**
 * The recorded gateway if its process is alive (no request: `status` and `doctor` use this).
 * Never throws.
 */
export async function recordedGateway(ctx: Ctx): Promise<GatewayRecord | undefined> {
  const info = await readGatewayRecord(ctx)
  return info && processAlive(info.pid) ? info : undefined
}

/**
 * Records the running gateway (atomic, 0600, state dir created 0700).
 * @throws SkillError `state_unsafe` (the state dir or file is not ours or not private).
 */
export async function writeGatewayRecord(ctx: Ctx, info: GatewayRecord): Promise<void> {
  await ensureDir(ctx.config.home)
  await writeJson(gatewayPaths(ctx).info, info)
}

/** Deletes the record; true when there was one. @throws SkillError `state_unsafe`. */
export const removeGatewayRecord = (ctx: Ctx): Promise<boolean> =>
  removeFile(gatewayPaths(ctx).info)
