/**
 * What the rest of the tool tells the host side when the sign-in or the catalog changes. The
 * registry and the opt-in host adapters (pi, openclaw) hang off these calls.
 */
import type { Ctx } from '../context.js'
import { toFailure } from '../result.js'
import type { CredentialStore } from '../store/credentials.js'
import type { Credentials } from '../store/schemas.js'
import type { ModelView } from '../backend/models.js'
import type { HostFileReport } from './host-file.js'
import type { RegistryModel, RegistryReport, RegistryState } from './registry.js'

/**
 * The `registry` field of every result: where the provider file is, its state, the model ids it
 * lists and when it changed; `version` (the marker) and `changed` when this call wrote it.
 * @see docs/contract.md#glossary
 */
export interface RegistryView {
  path: string
  state: RegistryState | null
  models: string[]
  updated_at: string | null
  version?: number
  changed?: boolean
}

/** A summary of what registration wrote, for the operation's result. */
export interface HostReport {
  /** The registry as this call left it (the same object `status` shows, plus version/changed). */
  registry?: RegistryView
  /** Where the catalog came from at registration (live, cache, fallback). */
  models_source?: string
  hosts?: Record<string, HostFileReport>
  warnings?: string[]
}

const warn = (err: unknown) => toFailure(err).error

/**
 * Writes the registry and, for each host in `CHATGPT_CODEX_HOSTS`, that host's file. `models`
 * null = signed out / reauth (no models anywhere). Never throws.
 */
export async function publish(
  ctx: Ctx,
  state: RegistryState,
  views: ModelView[] | null,
): Promise<HostReport> {
  const report: HostReport = {}
  const warnings: string[] = []
  let models: RegistryModel[] | null = null
  try {
    const { registryModel, writeRegistry } = await import('./registry.js')
    models = views === null ? null : views.map(registryModel)
    const r: RegistryReport = await writeRegistry(ctx, state, models ?? [])
    report.registry = {
      path: r.path,
      state: r.state,
      models: r.models,
      updated_at: r.updated_at,
      version: r.version,
      changed: r.changed,
    }
  } catch (err) {
    warnings.push(`registry: ${warn(err)}`)
  }
  for (const host of ctx.config.hosts) {
    try {
      const mod = host === 'pi' ? await import('./pi.js') : await import('./openclaw.js')
      const sync = 'syncPi' in mod ? mod.syncPi : mod.syncOpenclaw
      const r = await sync(ctx, models)
      report.hosts = { ...report.hosts, [host]: r }
      // The code leads so an agent can switch on it; the reason says what was not understood.
      if (r.action === 'skipped')
        warnings.push(`${host}: ${r.code}: ${r.path} not updated: ${r.reason}`)
    } catch (err) {
      warnings.push(`${host}: ${warn(err)}`)
    }
  }
  return warnings.length ? { ...report, warnings } : report
}

/**
 * Called after a sign-in stored `creds` in `store`: fetch the catalog with them (no second
 * read), register it. Never throws: failures come back as `warnings`.
 */
export async function onSignedIn(
  ctx: Ctx,
  creds: Credentials,
  store?: CredentialStore,
): Promise<HostReport> {
  try {
    const { loadCatalog, visibleModels } = await import('../backend/models.js')
    const cat = await loadCatalog(ctx, { force: true, store, creds })
    const report = await publish(ctx, 'signed-in', visibleModels(cat.models))
    return { ...report, models_source: cat.source }
  } catch (err) {
    // A refresh refused while fetching the catalog ends the sign-in: take the models out of
    // every picker here too, so the registry agrees with the next status.
    await onFailure(ctx, err)
    return { warnings: [`models: ${warn(err)}`] }
  }
}

/** Called after logout removed the credentials. Never throws. */
export async function onSignedOut(ctx: Ctx): Promise<HostReport> {
  return publish(ctx, 'signed-out', null)
}

const DEAD = new Set([
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'reauth_required',
])

/** After a failure: a dead sign-in takes the models out of every picker. Never throws. */
export async function onFailure(ctx: Ctx, err: unknown): Promise<void> {
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && DEAD.has(code)) await publish(ctx, 'reauth_required', null)
}
