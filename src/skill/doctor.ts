/**
 * `doctor`: a read-only health report of the sign-in and its state. It writes nothing (no
 * directory created, no permission fixed, no lock taken) and makes no request unless `online`
 * is given, in which case it makes one authenticated `usage` call to prove the token works.
 */
import type { Ctx } from '../context.js'
import { toFailure } from '../result.js'
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

async function onlineCheck(ctx: Ctx): Promise<Finding> {
  try {
    // Interim: resolved at run time until the usage operation (models/usage feature) lands.
    const spec = './usage.js'
    const { usage } = (await import(spec)) as { usage: (c: Ctx, o: object) => Promise<object> }
    const r = (await usage(ctx, { force: true })) as Record<string, unknown>
    const plan = typeof r.plan === 'string' ? ` (plan ${r.plan})` : ''
    return {
      id: 'online',
      severity: 'info',
      message: `An authenticated usage call succeeded${plan}: the token works end to end`,
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
