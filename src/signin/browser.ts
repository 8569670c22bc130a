/**
 * Browser sign-in (docs/protocol.md#3-browser-pkce-flow): PKCE + a loopback callback, in script
 * mode. `start` writes the pending login and spawns a detached listener (src/signin/listener.ts)
 * that lives until the deadline; `poll` only reads what the listener wrote and makes no request.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { selfArgv } from '../proc.js'
import type { Ctx } from '../context.js'
import { send } from '../http.js'
import { authorizeUrl, redirectUri } from '../oauth/authorize.js'
import { newPkce, newState } from '../oauth/pkce.js'
import { ERROR_CODES, run, SkillError, type ErrorCode } from '../result.js'
import { openStore } from '../store/credentials.js'
import { newPendingId, type PendingStore } from '../store/pending.js'
import type { BrowserPending } from '../store/schemas.js'
import { accountView, browserPendingView, connectedHint, listenerAlive } from './views.js'
import { assertAlive } from './finish.js'

/** How long `start` waits for the listener to say which port it bound. */
const HANDSHAKE_MS = 10_000
/** The hidden CLI command that runs the listener (routed in src/cli/main.ts, never in --help). */
export const LISTEN_COMMAND = '__listen'

/**
 * Spawns the detached listener, then writes the browser pending login (call under the pending
 * lock). With no listener, the result says to use the paste fallback.
 * @throws SkillError `state_unsafe`.
 * @see docs/protocol.md#3-browser-pkce-flow
 */
export async function startBrowser(
  ctx: Ctx,
  pending: PendingStore,
): Promise<Record<string, unknown>> {
  const now = ctx.now()
  const pending_id = newPendingId()
  const expires_at = now + ctx.config.browserTtlMs
  const listener = await spawnListener(ctx, pending_id, expires_at)
  // With no listener, the redirect still names the first allowed port: the page fails to load
  // there, and the user pastes its URL (callback --url).
  const redirect_uri = redirectUri(listener?.port ?? ctx.config.callbackPorts[0] ?? 1455)
  const pkce = newPkce()
  const state = newState()
  const p: BrowserPending = {
    schemaVersion: 1,
    method: 'browser',
    pending_id,
    state,
    code_verifier: pkce.verifier,
    redirect_uri,
    authorize_url: authorizeUrl(ctx.config, {
      redirect_uri,
      code_challenge: pkce.challenge,
      state,
    }),
    listener,
    created_at: now,
    expires_at,
    issuer: ctx.config.issuer,
    outcome: null,
  }
  await pending.write(p)
  return browserPendingView(p, ctx.now())
}

/**
 * What a browser login looks like now: the listener's outcome if it recorded one, else still
 * pending (no request is made).
 * @throws SkillError `device_code_expired`, the recorded failure's code (`listener_failed` when
 *   unknown), `not_signed_in`, `state_unsafe`.
 */
export async function pollBrowser(
  ctx: Ctx,
  p: BrowserPending,
  pending: PendingStore,
): Promise<Record<string, unknown>> {
  if (p.outcome) return settleOutcome(ctx, p, pending)
  if (ctx.now() >= p.expires_at) {
    throw new SkillError('device_code_expired', 'The browser sign-in has expired (10 minutes)', {
      hint: `Run ${run('start', '--method', 'browser')} again for a new link.`,
    })
  }
  const view = browserPendingView(p, ctx.now())
  const running = view.listener?.running === true
  return {
    ...view,
    hint: running
      ? `Not finished yet. Ask the user to finish in the browser and tell you; run ${run('poll', '--pending-id', p.pending_id)} after their reply; or, if the page did not load, run ${run('callback', '--url', "'<the address they copy>'")}.`
      : `The listener is not running, so poll cannot see the browser: ask the user for the address the browser ended on and run ${run('callback', '--url', "'<that address>'")}.`,
  }
}

/**
 * Turns the listener's recorded outcome into the result (and clears the pending login).
 * @throws SkillError the recorded failure's code (`listener_failed` when unknown),
 *   `not_signed_in` (connected, but nothing is stored now), `state_corrupt`, `state_unsafe`.
 */
export async function settleOutcome(ctx: Ctx, p: BrowserPending, pending: PendingStore) {
  const o = p.outcome!
  await pending.remove()
  if (o.status === 'failed') {
    const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(o.code ?? '')
      ? (o.code as ErrorCode)
      : 'listener_failed'
    throw new SkillError(code, o.error ?? 'The browser sign-in failed')
  }
  const creds = await (await openStore(ctx)).read()
  assertAlive(creds)
  return {
    status: 'connected' as const,
    method: 'browser' as const,
    account: accountView(creds),
    ...o.host,
    hint: connectedHint(),
  }
}

/**
 * Stops the listener of `p`, only after it proves it is ours (same PID and pending_id at
 * /__whoami): a PID alone may have been reused by an unrelated process. Waits until it is gone.
 * Never throws: false when nothing was stopped.
 */
export async function stopListener(p: BrowserPending): Promise<boolean> {
  if (!p.listener || !listenerAlive(p)) return false
  const { pid, port } = p.listener
  try {
    const res = await send({
      method: 'GET',
      url: `http://127.0.0.1:${port}/__whoami`,
      timeoutMs: 1_000,
    })
    const who = JSON.parse(res.text) as { pid?: unknown; pending_id?: unknown }
    if (who.pid !== pid || who.pending_id !== p.pending_id) return false
    process.kill(pid, 'SIGTERM')
  } catch {
    return false
  }
  for (let i = 0; i < 100 && listenerAlive(p); i++) await new Promise((r) => setTimeout(r, 20))
  return !listenerAlive(p)
}

/**
 * Spawns the detached listener and waits for its one line (`{"port":N}` or `{"port":null}`).
 * The listener gets only the pending_id and deadline on its command line (no secret); it reads
 * the verifier from the pending file when a callback arrives.
 */
async function spawnListener(ctx: Ctx, pending_id: string, expires_at: number) {
  const argv = selfArgv([LISTEN_COMMAND, pending_id, String(expires_at)])
  if (!argv) return null
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...ctx.config.env },
  })
  const port = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), HANDSHAKE_MS)
    const done = (v: number | null) => (clearTimeout(timer), resolve(v))
    child.on('error', () => done(null))
    child.on('exit', () => done(null))
    createInterface({ input: child.stdout! }).once('line', (line) => {
      try {
        const v = (JSON.parse(line) as { port?: unknown }).port
        done(typeof v === 'number' ? v : null)
      } catch {
        done(null)
      }
    })
  })
  child.stdout?.destroy()
  child.removeAllListeners()
  child.unref()
  if (port === null) {
    if (child.exitCode === null && child.pid) child.kill('SIGTERM')
    return null
  }
  return { pid: child.pid!, port }
}
