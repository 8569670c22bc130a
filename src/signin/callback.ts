/**
 * The end of a browser sign-in, shared by the listener and the paste fallback: what a callback
 * URL means for the pending login, and the code exchange. `callback --url` is the paste fallback
 * for a browser on another machine: the user copies the address the browser ended on.
 */
import type { Ctx } from '../context.js'
import { credentialsFrom } from '../auth/session.js'
import { exchangeCode } from '../oauth/tokens.js'
import { sameState } from '../oauth/pkce.js'
import { registerSecret } from '../redact.js'
import { run, SkillError } from '../result.js'
import type { PendingStore } from '../store/pending.js'
import type { BrowserPending, Credentials, Pending } from '../store/schemas.js'
import { settleOutcome, stopListener } from './browser.js'
import { finishSignIn } from './finish.js'

export interface CallbackParams {
  code?: string
  state?: string
  error?: string
  error_description?: string
}

/** Reads the callback parameters from a query string. The code is registered for redaction. Never throws. */
export function paramsFrom(search: URLSearchParams): CallbackParams {
  const get = (k: string) => search.get(k) ?? undefined
  const q = {
    code: get('code'),
    state: get('state'),
    error: get('error'),
    error_description: get('error_description'),
  }
  registerSecret(q.code)
  return q
}

/**
 * Parses a pasted redirect URL; a missing scheme (`127.0.0.1:1455/auth/callback?...`) is accepted.
 * @throws SkillError `invalid_argument` (not a URL, or neither a code nor an error in it).
 */
export function parsePastedUrl(raw: string): CallbackParams {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    throw new SkillError('invalid_argument', 'That is not a URL', {
      hint: 'Pass the full address the browser ended on, e.g. http://127.0.0.1:1455/auth/callback?code=...&state=...',
    })
  }
  const q = paramsFrom(url.searchParams)
  if (!q.code && !q.error) {
    throw new SkillError('invalid_argument', 'That URL carries neither a code nor an error', {
      hint: 'Ask the user for the address the browser ended on after they approved (it contains code= and state=).',
    })
  }
  return q
}

export type Verdict =
  | { kind: 'mismatch' }
  | { kind: 'failed'; error: SkillError; detail?: string }
  | { kind: 'code'; code: string }

/**
 * What a callback means for `p`. The state is compared first, in constant time. Never throws;
 * a failed verdict carries `access_denied`, `upstream_rejected` or `invalid_argument`.
 * @see docs/protocol.md#3-browser-pkce-flow
 */
export function judge(p: BrowserPending, q: CallbackParams): Verdict {
  if (!sameState(p.state, q.state)) return { kind: 'mismatch' }
  if (q.error) {
    const detail = q.error_description
    if (q.error === 'access_denied') {
      const entitlement = detail?.includes('missing_codex_entitlement')
      const message = entitlement
        ? 'Codex is not enabled for this workspace. Ask the workspace administrator to enable it.'
        : 'The sign-in was declined in the browser'
      return { kind: 'failed', error: new SkillError('access_denied', message), detail }
    }
    const error = new SkillError(
      'upstream_rejected',
      `The issuer ended the sign-in with error "${q.error.slice(0, 60)}"`,
    )
    return { kind: 'failed', error, detail }
  }
  if (!q.code) {
    return {
      kind: 'failed',
      error: new SkillError('invalid_argument', 'The callback carries no authorization code'),
    }
  }
  return { kind: 'code', code: q.code }
}

/**
 * Exchanges the code with this login's verifier and the exact redirect_uri of its authorize URL.
 * @throws SkillError `upstream_rejected`, `upstream_error`, `invalid_response`, transport codes.
 * @see docs/protocol.md#3-browser-pkce-flow
 */
export async function redeem(ctx: Ctx, p: BrowserPending, code: string): Promise<Credentials> {
  const tokens = await exchangeCode(
    ctx.config,
    { code, code_verifier: p.code_verifier, redirect_uri: p.redirect_uri },
    ctx.now(),
  )
  return credentialsFrom(tokens, p.issuer, ctx.now())
}

/**
 * Finishes a browser sign-in from pasted callback parameters (call under the pending lock with
 * the pending login read there). The listener may have finished it already; a failed exchange
 * keeps the login (opening the link again gives a new code for the same state).
 * @throws SkillError `no_pending_login`, `device_code_expired`, `state_mismatch`,
 *   `access_denied`, `upstream_rejected`, `invalid_argument`, the exchange's upstream and
 *   transport codes, `state_unsafe`, `lock_timeout`.
 * @see docs/protocol.md#3-browser-pkce-flow
 */
export async function finishPasted(
  ctx: Ctx,
  p: Pending | undefined,
  q: CallbackParams,
  pending: PendingStore,
) {
  if (!p || p.method !== 'browser') {
    throw new SkillError('no_pending_login', 'No browser sign-in is in progress', {
      hint: `Run ${run('status')}: if it says connected, the sign-in is already done. Otherwise run ${run('start', '--method', 'browser')}.`,
    })
  }
  // The listener may have finished it already (the browser reached it after all).
  if (p.outcome) return settleOutcome(ctx, p, pending)
  if (ctx.now() >= p.expires_at) {
    throw new SkillError('device_code_expired', 'The browser sign-in has expired (10 minutes)', {
      hint: `Run ${run('start', '--method', 'browser')} again for a new link.`,
    })
  }
  const v = judge(p, q)
  if (v.kind === 'mismatch') {
    throw new SkillError(
      'state_mismatch',
      'The URL does not belong to the current browser sign-in (state mismatch)',
    )
  }
  if (v.kind === 'failed') {
    await stopListener(p)
    await pending.remove()
    throw v.error
  }
  const done = await finishSignIn(ctx, () => redeem(ctx, p, v.code), pending)
  await stopListener(p)
  return { ...done, method: 'browser' as const }
}
