/**
 * `doctor`: a read-only health report of the sign-in and its state. It writes nothing (no
 * directory created, no permission fixed, no lock taken) and makes no request unless `online`
 * is given, in which case it makes one authenticated `usage` call to prove the token works.
 */
import type { Ctx } from '../context.js'
import { toFailure } from '../result.js'
import { openStore } from '../store/credentials.js'
import { statePaths } from '../store/paths.js'
import { CHECKS, type Finding } from './doctor-checks.js'
import { takeSnapshot } from './doctor-snapshot.js'

export interface DoctorOptions {
  online?: boolean
}

/** Where the credentials live for the selected store (never their content in the result). */
function credentialsPath(ctx: Ctx): string {
  if (ctx.config.store === 'codex') return `${ctx.config.codexHome}/auth.json`
  return statePaths(ctx.config.home).credentials
}

/**
 * One authenticated usage call, the cheapest request that proves the token works end to end.
 * Nothing is cached; a refresh happens only if the token was due (and is reported).
 */
async function onlineCheck(ctx: Ctx): Promise<Finding> {
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
      fix: null,
    }
  } catch (err) {
    const f = toFailure(err)
    return {
      id: 'online',
      severity: 'error',
      message: `The authenticated usage call failed: ${f.code}: ${f.error}`,
      fix: f.hint,
    }
  }
}

export async function doctor(ctx: Ctx, opts: DoctorOptions = {}) {
  const snapshot = await takeSnapshot(ctx, credentialsPath(ctx))
  const findings: Finding[] = []
  for (const check of Object.values(CHECKS)) findings.push(...check(snapshot))
  if (opts.online) findings.push(await onlineCheck(ctx))
  const worst = findings.some((f) => f.severity === 'error')
    ? 'problems'
    : findings.some((f) => f.severity === 'warning')
      ? 'warnings'
      : 'healthy'
  return {
    status: worst,
    state_dir: ctx.config.home,
    store: ctx.config.store,
    online: opts.online === true,
    requests: opts.online
      ? 'one authenticated usage call (plus a refresh if the token was due)'
      : 'none',
    checks: [...Object.keys(CHECKS), ...(opts.online ? ['online'] : [])],
    findings,
  }
}
