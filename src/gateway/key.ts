/** The gateway's local key: 256 random bits in a 0600 file, created on first `serve`, never printed. */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import type { Ctx } from '../context.js'
import { registerSecret } from '../redact.js'
import { ensureDir, readPrivate } from '../store/fsafe.js'
import { writeJson } from '../store/json-file.js'
import { withLock } from '../store/lock.js'

export const keyPath = (ctx: Ctx) => join(ctx.config.home, 'gateway-key.json')

/** Reads the key, creating it (under the state lock) when absent. */
export async function loadOrCreateKey(ctx: Ctx): Promise<string> {
  await ensureDir(ctx.config.home)
  const read = async () => {
    const text = await readPrivate(keyPath(ctx))
    const key = text ? (JSON.parse(text) as { key?: string }).key : undefined
    return typeof key === 'string' && /^[a-f0-9]{64}$/.test(key) ? key : undefined
  }
  let key = await read()
  if (!key) {
    const { lockStaleMs: staleMs, lockWaitMs: waitMs } = ctx.config
    key = await withLock(join(ctx.config.home, 'gateway-key'), { staleMs, waitMs }, async () => {
      const again = await read()
      if (again) return again
      const fresh = randomBytes(32).toString('hex')
      await writeJson(keyPath(ctx), { key: fresh })
      return fresh
    })
  }
  registerSecret(key)
  return key
}

/** Constant-time check of an `Authorization: Bearer <key>` header. */
export function bearerMatches(header: string | undefined, key: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1]
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(key)
  return a.length === b.length && timingSafeEqual(a, b)
}
