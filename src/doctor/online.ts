/** `doctor --online`: the one request doctor may make. */
import type { Ctx } from '../context.js'
import { toFailure } from '../result.js'
import { openStore } from '../store/credentials.js'
import type { Finding } from './finding.js'

/**
 * One authenticated usage call, the cheapest request that proves the token works end to end.
 * Nothing is cached; a refresh happens only if the token was due (and is reported). Never
 * throws: a failure is an `error` finding carrying its code.
 * @see docs/protocol.md#81-usage-endpoint
 */
export async function onlineCheck(ctx: Ctx): Promise<Finding> {
  try {
    const { authedGet } = await import('../backend/get.js')
    const { parseUsage } = await import('../backend/usage.js')
    const store = await openStore(ctx)
    const { res, refreshes } = await authedGet(ctx, store, '/wham/usage', 'The usage endpoint')
    const view = parseUsage(res, ctx.now())
    const plan = view.plan ? ` (plan ${view.plan})` : ''
    const refreshed = refreshes ? '; the access token was refreshed first' : ''
    return {
      id: 'online',
      severity: 'info',
      message: `An authenticated usage call succeeded${plan}${refreshed}: the sign-in works end to end`,
      hint: null,
    }
  } catch (err) {
    const f = toFailure(err)
    return {
      id: 'online',
      severity: 'error',
      message: `The authenticated usage call failed: ${f.code}: ${f.error}`,
      hint: f.hint,
    }
  }
}
