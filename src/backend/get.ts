/**
 * One authenticated GET to chatgpt.com/backend-api: fresh token (refreshed ahead of expiry under
 * the lock), one refresh + one retry on a 401, and the status mapped to a stable error code.
 */
import type { Ctx } from '../context.js'
import { send, statusError, type HttpResponse } from '../http.js'
import { run, SkillError } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'
import { backendHeaders, withAuth } from './auth.js'

export interface AuthedResponse {
  res: HttpResponse
  /** Refresh grants this call sent (0 when the token was fresh). */
  refreshes: number
}

/**
 * GETs `{backend}{path}` and returns a 2xx response. `known`: credentials already in hand.
 * @throws SkillError `upstream_rejected` (401/403 even after a refresh), `rate_limited`
 *   (with `retry_after_s`), `upstream_error`, transport and credential codes.
 */
export async function authedGet(
  ctx: Ctx,
  store: CredentialStore,
  path: string,
  what: string,
  known?: Credentials,
): Promise<AuthedResponse> {
  const out = await withAuth(
    ctx,
    store,
    async (creds) => {
      const res = await send({
        method: 'GET',
        url: `${ctx.config.backendUrl}${path}`,
        headers: backendHeaders(ctx, creds),
        timeoutMs: ctx.config.timeoutMs,
        proxy: ctx.config.proxy,
      })
      return { status: res.status, value: res }
    },
    undefined,
    known,
  )
  const res = out.value
  if (res.status === 401 || res.status === 403) {
    throw new SkillError(
      'upstream_rejected',
      `${what} refused the sign-in (HTTP ${res.status}) even after a token refresh`,
      {
        hint: `Run ${run('refresh')}, then try again; if it persists, run ${run('logout')}, then ${run('start')}, to sign in again.`,
      },
    )
  }
  if (res.status < 200 || res.status >= 300) throw statusError(res, what, ctx.now())
  return { res, refreshes: out.refreshes }
}
