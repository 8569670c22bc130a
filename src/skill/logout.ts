/**
 * `logout`: revokes the refresh token (best effort, reported), deletes the credentials and any
 * pending login, and moves unreadable state files aside rather than deleting them.
 */
import type { Ctx } from '../context.js'
import { onSignedOut } from '../host/index.js'
import { revoke } from '../oauth/tokens.js'
import { SkillError } from '../result.js'
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
 * (best effort), removes the credentials and unregisters the models. Corrupt state files are
 * moved aside, not kept in the way.
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
  return {
    status: 'disconnected' as const,
    was_signed_in: revoked !== null,
    revoked,
    ...(revoked === null
      ? {}
      : { revoke_note: 'A revoke request was sent to the issuer (best effort).' }),
    removed,
    ...(moved_aside.length ? { moved_aside } : {}),
    ...host,
  }
}
