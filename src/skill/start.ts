/**
 * `start`: begins a sign-in and returns what the user needs. Never polls. Idempotent: a live
 * pending login is returned again without a request, unless `force`.
 */
import { randomBytes } from 'node:crypto'
import type { Ctx } from '../context.js'
import { requestUserCode } from '../oauth/device.js'
import { SkillError } from '../result.js'
import { openStore } from '../store/credentials.js'
import { pendingStore, type PendingStore } from '../store/pending.js'
import type { DevicePending, Pending } from '../store/schemas.js'
import { accountView, browserPendingView, devicePendingView } from './views.js'

/** Device logins live 15 minutes (the CLI's limit). */
export const DEVICE_TTL_MS = 15 * 60_000

export interface StartOptions {
  force?: boolean
  method?: 'device' | 'browser'
}

/** Shown to the agent in results; random and unrelated to any upstream identifier. */
export const newPendingId = () => `pl_${randomBytes(9).toString('base64url')}`

export async function start(ctx: Ctx, opts: StartOptions = {}) {
  const method = opts.method ?? 'device'
  if (!opts.force) {
    const creds = await (await openStore(ctx)).read()
    if (creds && !creds.reauth) {
      return {
        status: 'connected' as const,
        account: accountView(creds),
        message: 'Already signed in. Use start --force to sign in again (for another account).',
      }
    }
  }
  const pending = pendingStore(ctx)
  return pending.locked(async () => {
    const { existing, moved_aside } = await readOrQuarantine(pending, opts.force === true)
    const now = ctx.now()
    if (!opts.force && existing && existing.expires_at > now && existing.method === method) {
      return { ...(await view(ctx, existing)), reused: true }
    }
    if (existing?.method === 'browser') {
      const { stopListener } = await import('./browser.js')
      await stopListener(existing)
    }
    const started =
      method === 'browser'
        ? await (await import('./browser.js')).startBrowser(ctx, pending)
        : await startDevice(ctx, pending)
    return moved_aside ? { ...started, moved_aside } : started
  })
}

async function readOrQuarantine(pending: PendingStore, force: boolean) {
  try {
    return { existing: await pending.read(), moved_aside: undefined }
  } catch (err) {
    // A corrupt pending file is never overwritten silently; with --force it is moved aside
    // and the result says where.
    if (!force || !(err instanceof SkillError) || err.code !== 'state_corrupt') throw err
    return { existing: undefined, moved_aside: await pending.quarantine() }
  }
}

async function view(ctx: Ctx, p: Pending) {
  if (p.method === 'device') return devicePendingView(p, ctx.now())
  return browserPendingView(p)
}

async function startDevice(ctx: Ctx, pending: PendingStore) {
  const now = ctx.now()
  const code = await requestUserCode(ctx.config, now)
  const p: DevicePending = {
    schemaVersion: 1,
    method: 'device',
    pending_id: newPendingId(),
    device_auth_id: code.device_auth_id,
    user_code: code.user_code,
    verification_url: `${ctx.config.issuer}/codex/device`,
    interval_s: code.interval_s,
    created_at: now,
    expires_at: now + DEVICE_TTL_MS,
    last_poll_at: null,
    issuer: ctx.config.issuer,
  }
  await pending.write(p)
  return devicePendingView(p, now)
}
