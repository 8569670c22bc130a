/**
 * Clock skew between this machine and the issuer, so expiry decisions hold on a machine whose
 * clock is wrong. A token's `exp` is on the issuer's clock; comparing it with a local clock a day
 * fast made every call refresh (issue 16: 3 `token` calls, 3 refreshes), a refresh storm against
 * the user's account; a day slow would hand out expired tokens. The offset is measured when
 * tokens arrive (the new access token's `iat` is the issuer's "now" at that moment, to the
 * second) and kept with the credentials; see docs/reliability.md "Interruptions, full disks and
 * clock skew".
 */
import type { Credentials } from '../store/schemas.js'

/** Offsets smaller than this are measurement noise (`iat` has one-second resolution, plus the trip). */
const NOISE_MS = 5_000

/** The issuer's clock minus ours at receipt: `iat` (issuer) against `receivedAt` (ours). */
export function measureOffset(issuedAt: number | null, receivedAt: number): number | null {
  if (issuedAt === null) return null
  const offset = issuedAt - receivedAt
  return Math.abs(offset) < NOISE_MS ? 0 : offset
}

/**
 * The issuer's clock minus ours, in ms (0 when unknown). Files written before the offset was
 * stored (and the Codex CLI's auth.json) give it as `iat - last_refresh`: both were taken when
 * the tokens arrived.
 */
export function clockOffset(c: Credentials): number {
  if (typeof c.clock_offset_ms === 'number') return c.clock_offset_ms
  if (c.access_issued_at === null || !c.last_refresh) return 0
  return measureOffset(c.access_issued_at, c.last_refresh) ?? 0
}

/**
 * The access token's expiry on OUR clock (what `exp` means here), or null when unknown. Given
 * `now`: a clock that went back since the tokens arrived (`now` before `last_refresh`) was
 * corrected, so the measured offset no longer holds and `exp` is taken as it is; otherwise a
 * clock fixed after being a day fast would hand out an expired token for a day.
 */
export function localExpiry(c: Credentials, now?: number): number | null {
  if (c.access_expires_at === null) return null
  if (now !== undefined && now < c.last_refresh - NOISE_MS) return c.access_expires_at
  return c.access_expires_at - clockOffset(c)
}

/** How far this machine's clock is ahead of the issuer's, in whole seconds (negative: behind). */
export const clockSkewSeconds = (c: Credentials): number => Math.round(-clockOffset(c) / 1000)
