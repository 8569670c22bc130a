/** The gateway's local key: 256 random bits in a 0600 file, created on first `serve`, never printed. */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import type { Ctx } from '../context.js'
import { registerSecret } from '../redact.js'
import { run, SkillError } from '../result.js'
import { ensureDir } from '../store/fsafe.js'
import { readJson, writeJson } from '../store/json-file.js'
import { lockOptions, withLock } from '../store/lock.js'
import * as z from '../zod.js'

/** Where the gateway key lives (`<state>/gateway-key.json`). Never throws. */
export const keyPath = (ctx: Ctx) => join(ctx.config.home, 'gateway-key.json')

/** `gateway-key.json`: 64 lowercase hex characters (what {@link loadOrCreateKey} writes). */
const KeyFile = z.object({ key: z.string().check(z.regex(/^[a-f0-9]{64}$/)) })

/**
 * Reads the key, creating it (under the state lock) when the file is absent. A file that is
 * there but unreadable is reported and kept: replacing it would silently lock out every client
 * configured with the old key.
 * @throws SkillError `state_corrupt` (with a hint to delete the file), `state_unsafe`.
 */
export async function loadOrCreateKey(ctx: Ctx): Promise<string> {
  await ensureDir(ctx.config.home)
  const read = async () => {
    try {
      return (await readJson(keyPath(ctx), KeyFile))?.key
    } catch (err) {
      if (!(err instanceof SkillError) || err.code !== 'state_corrupt') throw err
      throw new SkillError('state_corrupt', `${err.message} (expected {"key": "<64 hex>"})`, {
        hint: `Delete ${keyPath(ctx)}: the next ${run('serve', '--detach')} makes a new key, and clients need the new one (${run('gateway-key')}).`,
        extra: { path: keyPath(ctx) },
      })
    }
  }
  let key = await read()
  if (!key) {
    key = await withLock(join(ctx.config.home, 'gateway-key'), lockOptions(ctx), async () => {
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

/**
 * A constant-time check of `Authorization: Bearer <key>` headers against one key; the key's
 * bytes are made once, not per request.
 * Never throws.
 */
export function bearerCheck(key: string): (header: string | undefined) => boolean {
  const want = Buffer.from(key)
  return (header) => {
    const given = header?.startsWith('Bearer ')
      ? header.slice(7).trim()
      : /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1]
    if (!given) return false
    const got = Buffer.from(given)
    return got.length === want.length && timingSafeEqual(got, want)
  }
}
