/**
 * `start`: begins a sign-in and returns what the user needs. Never polls. Idempotent: a live
 * pending login is returned again without a request, unless `force`.
 */
import type { Ctx } from '../context.js'
import { run, SkillError } from '../result.js'
import { startDevice } from '../signin/device.js'
import { accountView, browserPendingView, devicePendingView } from '../signin/views.js'
import { openStore } from '../store/credentials.js'
import { pendingStore, type PendingStore } from '../store/pending.js'
import type { Pending } from '../store/schemas.js'

export interface StartOptions {
  force?: boolean
  method?: 'device' | 'browser'
}

/**
 * Begins a device (default) or browser sign-in, or returns the live one again.
 * @throws SkillError `state_corrupt` (a bad pending file without `force`), `state_unsafe`,
 *   `lock_timeout`, and the device request's upstream and transport codes.
 * @see docs/protocol.md#2-device-code-flow
 */
export async function start(ctx: Ctx, opts: StartOptions = {}) {
  const method = opts.method ?? 'device'
  if (!opts.force) {
    const creds = await (await openStore(ctx)).read()
    if (creds && !creds.reauth) {
      return {
        status: 'connected' as const,
        account: accountView(creds),
        hint: `Already signed in; nothing was started. Run ${run('start', '--force')} to sign in again (for another account).`,
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
      const { stopListener } = await import('../signin/browser.js')
      await stopListener(existing)
    }
    const started =
      method === 'browser'
        ? await (await import('../signin/browser.js')).startBrowser(ctx, pending)
        : await startDevice(ctx, pending)
    return moved_aside ? { ...started, moved_aside: [moved_aside] } : started
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
  return browserPendingView(p, ctx.now())
}
