/** `refresh`: rotates the tokens now, unless another process just did. */
import type { Ctx } from '../context.js'
import { freshCredentials } from '../auth/session.js'
import { openStore } from '../store/credentials.js'
import { accountView, tokenExpiry } from '../signin/views.js'

export async function refresh(ctx: Ctx) {
  const store = await openStore(ctx)
  const { creds, refreshed } = await freshCredentials(ctx, store, { force: true })
  return {
    status: 'connected' as const,
    refreshed,
    ...(refreshed ? {} : { note: 'Another process refreshed the tokens a moment ago; they were reused.' }),
    account: accountView(creds),
    ...tokenExpiry(creds, ctx.now()),
  }
}
