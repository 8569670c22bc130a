/**
 * `doctor`: a read-only health report of the sign-in and its state. It writes nothing (no
 * directory created, no permission fixed, no lock taken) and makes no request unless `online`
 * is given, in which case it makes one authenticated `usage` call to prove the token works.
 */
import type { Ctx } from '../context.js'
import { CHECKS } from '../doctor/checks.js'
import type { Finding } from '../doctor/finding.js'
import { onlineCheck } from '../doctor/online.js'
import { takeSnapshot } from '../doctor/snapshot.js'
import { proxyView } from '../proxy.js'
import { statePaths } from '../store/paths.js'
import { readCredentials } from '../doctor/parse.js'
import { clockSkewSeconds } from '../auth/clock.js'

export interface DoctorOptions {
  online?: boolean
}

/** Where the credentials live for the selected store (never their content in the result). */
function credentialsPath(ctx: Ctx): string {
  if (ctx.config.store === 'codex') return `${ctx.config.codexHome}/auth.json`
  return statePaths(ctx.config.home).credentials
}

/**
 * Runs every offline check (and the online one with `online`) and reports the worst severity.
 * Never fails on what it finds: problems are findings. @throws nothing of its own (an
 * unexpected I/O error surfaces as `internal_error`).
 */
export async function doctor(ctx: Ctx, opts: DoctorOptions = {}) {
  const snapshot = await takeSnapshot(ctx, credentialsPath(ctx))
  const findings: Finding[] = []
  for (const check of Object.values(CHECKS)) findings.push(...check(snapshot))
  // Each enabled host's config file (read-only; src/host/check.ts).
  const { checkHosts } = await import('../host/check.js')
  const hostFindings = await checkHosts(ctx)
  // Host findings advise in `fix`; the output vocabulary's advice field is `hint`.
  findings.push(...hostFindings.map(({ fix, ...f }) => ({ ...f, hint: fix })))
  if (opts.online) findings.push(await onlineCheck(ctx))
  const worst = findings.some((f) => f.severity === 'error')
    ? 'problems'
    : findings.some((f) => f.severity === 'warning')
      ? 'warnings'
      : 'healthy'
  const creds = readCredentials(snapshot)
  const c = 'value' in creds ? creds.value : undefined
  return {
    health: worst,
    state_dir: ctx.config.home,
    // This machine's clock minus the issuer's, as measured when the tokens arrived.
    clock_skew_s: c && !c.reauth ? clockSkewSeconds(c) : null,
    store: { kind: ctx.config.store, path: credentialsPath(ctx) },
    // The proxy each service goes through (redacted), or null when no proxy is set.
    proxy: proxyView(ctx.config.proxy, {
      issuer: ctx.config.issuer,
      backend: ctx.config.backendUrl,
    }),
    online: opts.online === true,
    requests: opts.online
      ? 'one authenticated usage call (plus a refresh if the token was due)'
      : 'none',
    checks: [
      ...Object.keys(CHECKS),
      ...(hostFindings.length ? ['hosts'] : []),
      ...(opts.online ? ['online'] : []),
    ],
    findings,
  }
}
