/**
 * What the rest of the tool tells the host side when the sign-in changes. The registry and the
 * host adapters (pi, openclaw) hang off these two calls.
 */
import type { Ctx } from '../context.js'
import type { Credentials } from '../store/schemas.js'

/** A summary of what registration wrote, for the operation's result. */
export interface HostReport {
  registry?: string
  models?: string[]
  hosts?: Record<string, unknown>
  warnings?: string[]
}

/** Called after a sign-in stores credentials. Never throws: registration is best effort. */
export async function onSignedIn(_ctx: Ctx, _creds: Credentials): Promise<HostReport> {
  return {}
}

/** Called after logout removed the credentials. Never throws. */
export async function onSignedOut(_ctx: Ctx): Promise<HostReport> {
  return {}
}
