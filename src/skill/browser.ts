/**
 * Browser (PKCE + loopback callback) sign-in. Placeholder until the browser issue lands.
 */
import type { Ctx } from '../context.js'
import { SkillError } from '../result.js'
import type { PendingStore } from '../store/pending.js'
import type { BrowserPending } from '../store/schemas.js'

const notYet = () =>
  new SkillError('invalid_argument', 'The browser sign-in method is not available in this build', {
    hint: 'Use the device method: start without --method.',
  })

export async function startBrowser(_ctx: Ctx, _pending: PendingStore): Promise<Record<string, unknown>> {
  throw notYet()
}
export function browserPendingView(_p: BrowserPending): Record<string, unknown> {
  throw notYet()
}
export async function pollBrowser(_ctx: Ctx, _p: BrowserPending, _pending: PendingStore): Promise<Record<string, unknown>> {
  throw notYet()
}
export async function stopListener(_p: BrowserPending): Promise<void> {}
