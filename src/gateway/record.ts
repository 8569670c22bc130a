/** `<state>/gateway.json`: which gateway runs (pid, port, url). Read without any request. */
import { join } from 'node:path'
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import { processAlive } from '../proc.js'
import { readJson } from '../store/json-file.js'

/** Built on first use: most processes find no gateway record to read. */
export const GatewayRecord = z.lazy(() =>
  z.object({ pid: z.number(), port: z.number(), url: z.string(), started_at: z.string() }),
)
export type GatewayRecord = z.infer<typeof GatewayRecord>

export const gatewayPaths = (ctx: Ctx) => ({
  info: join(ctx.config.home, 'gateway.json'),
  log: join(ctx.config.home, 'gateway.log'),
})

/** The recorded gateway if its process is alive (no request: `status` and `doctor` use this). */
export async function recordedGateway(ctx: Ctx): Promise<GatewayRecord | undefined> {
  const info = await readJson(gatewayPaths(ctx).info, GatewayRecord).catch(() => undefined)
  return info && processAlive(info.pid) ? info : undefined
}

/** The fragment `status` shows. */
export async function gatewayStatus(ctx: Ctx) {
  const g = await recordedGateway(ctx)
  return g ? { running: true, url: g.url, pid: g.pid, port: g.port } : { running: false }
}
