/**
 * `logout`: revokes the refresh token (best effort, reported), deletes the credentials and any
 * pending login, and moves unreadable state files aside rather than deleting them.
 */
import type { Ctx } from '../context.js'
import { onSignedOut } from '../host/index.js'
import { revoke } from '../oauth/tokens.js'
import { run, SkillError } from '../result.js'
import { recordedGateway } from '../store/gateway-record.js'
import { openStore } from '../store/credentials.js'
import { pendingStore } from '../store/pending.js'

async function readKeepingCorrupt<T>(
  read: () => Promise<T>,
  quarantine: () => Promise<string | undefined>,
  moved: string[],
) {
  try {
    return await read()
  } catch (err) {
    if (!(err instanceof SkillError) || err.code !== 'state_corrupt') throw err
    const to = await quarantine()
    if (to) moved.push(to)
    return undefined
  }
}

/**
 * Signs out: stops a browser listener, clears the pending login, revokes the refresh token
 * (best effort), removes the credentials and unregisters the models. A running gateway is left
 * running and the result says so: it now refuses requests with 401 `not_signed_in`.
 * Corrupt state files are moved aside, not kept in the way.
 * @throws SkillError `state_unsafe`, `lock_timeout` (the revoke's own failures are reported as
 *   `revoked: false`, never thrown).
 * @see docs/protocol.md#45-revocation-logout-and-replacement-at-login
 */
export async function logout(ctx: Ctx) {
  const moved_aside: string[] = []
  const removed: string[] = []
  const pending = pendingStore(ctx)
  await pending.locked(async () => {
    const p = await readKeepingCorrupt(
      () => pending.read(),
      () => pending.quarantine(),
      moved_aside,
    )
    if (p?.method === 'browser') await (await import('../signin/browser.js')).stopListener(p)
    if (await pending.remove()) removed.push(pending.path)
  })

  const store = await openStore(ctx)
  let revoked: boolean | null = null
  await store.locked(async () => {
    const creds = await readKeepingCorrupt(
      () => store.read(),
      () => store.quarantine(),
      moved_aside,
    )
    if (creds) revoked = await revoke(ctx.config, { refresh: creds.tokens.refresh_token })
    if (await store.remove()) removed.push(store.path)
  })
  const host = await onSignedOut(ctx)
  const { gateway, said: gatewaySaid } = await gatewayAfterLogout(ctx)
  const said = [
    revoked === null
      ? 'There was no sign-in to revoke.'
      : revoked
        ? 'The refresh token was revoked at the issuer.'
        : 'The revoke request failed (best effort); the local sign-in is removed anyway.',
    gatewaySaid,
    `Run ${run('start')} to sign in again.`,
  ]
  return {
    status: 'disconnected' as const,
    was_signed_in: revoked !== null,
    revoked,
    removed,
    ...(moved_aside.length ? { moved_aside } : {}),
    ...host,
    gateway,
    hint: said.filter(Boolean).join(' '),
  }
}

/**
 * The gateway after a logout: it keeps running (its page and live feed show the sign-out, and
 * the next sign-in serves again without a restart) and refuses model requests with 401
 * `not_signed_in` meanwhile. From its record alone: no request, no key created. Never throws.
 */
async function gatewayAfterLogout(ctx: Ctx) {
  const g = await recordedGateway(ctx).catch(() => undefined)
  if (!g) return { gateway: { running: false as const }, said: '' }
  return {
    gateway: { running: true as const, url: g.url, pid: g.pid, port: g.port, refusing: true },
    said: `The gateway at ${g.url} (pid ${g.pid}) keeps running and now refuses model requests with 401 not_signed_in until the next sign-in; stop it with ${run('serve', '--stop')} if it is no longer wanted.`,
  }
}
