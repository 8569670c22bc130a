/**
 * `status`: what the user's sign-in looks like right now, from disk only. No network request,
 * no token in the output.
 */
import type { Ctx } from '../context.js'
import { run } from '../result.js'
import { isFresh } from '../auth/session.js'
import type { FixNote } from '../store/fsafe.js'
import { codexChatgptSignIn } from '../store/codex-auth.js'
import { openStore } from '../store/credentials.js'
import { pendingStore } from '../store/pending.js'
import {
  accountView,
  browserPendingView,
  devicePendingView,
  iso,
  tokenExpiry,
} from '../signin/views.js'
import { recordedGateway } from '../store/gateway-record.js'
import { readRegistrySummary, registryPaths } from '../host/registry.js'
import type { RegistryView } from '../host/index.js'

const CODEX_SHARE_HINT =
  'The Codex CLI is signed in to ChatGPT on this machine. Setting CHATGPT_CODEX_STORE=codex would share that one sign-in (codex and this tool then use one refresh-token lineage). Never copy its tokens into this tool.'

/**
 * The sign-in as it stands, from disk alone (no request): connected, reauth required, pending,
 * or signed out, with the registry and gateway fragments. Also reports a Codex CLI sign-in
 * this tool could share.
 * @throws SkillError `state_corrupt`, `state_unsafe`.
 */
export async function status(ctx: Ctx) {
  const fixes: FixNote[] = []
  const now = ctx.now()
  const store = await openStore(ctx)
  const creds = await store.read(fixes)
  const pending = await pendingStore(ctx).read(fixes)

  // Default store only: say that a signed-in Codex CLI could be shared (its mode, never a token).
  const codex = store.kind === 'file' ? await codexChatgptSignIn(ctx.config.codexHome) : undefined
  // The registry as hosts see it, from disk (no request).
  const reg = await readRegistrySummary(ctx)
  const base = {
    state_dir: ctx.config.home,
    registry: {
      path: registryPaths(ctx).provider,
      state: reg?.state ?? null,
      models: reg?.models ?? [],
      updated_at: reg?.updatedAt ?? null,
    } satisfies RegistryView,
    store: { kind: store.kind, path: store.path },
    gateway: await gatewayStatus(ctx),
    ...(codex ? { codex_cli: { signed_in: true, path: codex.path, hint: CODEX_SHARE_HINT } } : {}),
    ...(fixes.length ? { fixed_permissions: fixes } : {}),
  }
  if (creds?.reauth) {
    return {
      status: 'reauth_required' as const,
      reason: creds.reauth.code,
      account: accountView(creds),
      hint: `The sign-in has ended (${creds.reauth.code}). Run ${run('logout')}, then ${run('start')}, to sign in again.`,
      ...base,
    }
  }
  if (creds) {
    return {
      status: 'connected' as const,
      account: accountView(creds),
      ...tokenExpiry(creds, now),
      will_refresh_on_next_use: !isFresh(creds, now),
      last_refresh: iso(creds.last_refresh),
      ...base,
    }
  }
  if (pending && pending.expires_at > now) {
    const view =
      pending.method === 'device'
        ? devicePendingView(pending, now)
        : browserPendingView(pending, now)
    return { ...view, ...base }
  }
  return {
    status: 'disconnected' as const,
    ...(pending ? { pending_expired_at: iso(pending.expires_at) } : {}),
    hint: `Not signed in. Run ${run('start')} to sign in with ChatGPT.`,
    ...base,
  }
}

/** The gateway fragment of `status`: from the record alone, no request. Never throws. */
async function gatewayStatus(ctx: Ctx) {
  const g = await recordedGateway(ctx)
  return g ? { running: true, url: g.url, pid: g.pid, port: g.port } : { running: false }
}
