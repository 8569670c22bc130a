/**
 * pi adapter: the models go into `<pi agent dir>/models.json` as `providers["chatgpt-codex"]`
 * with pi's own ChatGPT dialect (`openai-codex-responses`, still current in pi 0.73.1) and an
 * `apiKey` that runs the credential helper (`!command`, stdout = the bare token). A provider id of
 * our own, so pi's built-in `openai-codex` provider and its /login are left alone.
 *
 * @see docs/hosts.md "pi"
 */

import { join } from 'node:path'
import type { Ctx } from '../context.js'
import { credentialShell } from './credential.js'
import { child, isObject, onlyKeys, updateHostFile, type HostFileReport } from './host-file.js'
import { hostModel, type RegistryModel } from './registry.js'

export const PI_PROVIDER_ID = 'chatgpt-codex'

/** pi's models file (`<pi agent dir>/models.json`). Never throws. */
export const piModelsPath = (ctx: Ctx) => join(ctx.config.piAgentDir, 'models.json')

/** Our provider entry in pi's format. Never throws. */
export function piProvider(ctx: Ctx, models: RegistryModel[]) {
  return {
    // pi appends /codex/responses itself (resolveCodexUrl).
    baseUrl: ctx.config.backendUrl,
    api: 'openai-codex-responses',
    apiKey: `!${credentialShell(ctx, ['--format', 'raw'])}`,
    models: models.map(hostModel),
  }
}

/** True when `v` has the shape this adapter writes (any version of it): ours to replace. Never throws. */
export function isOurPiProvider(v: unknown): boolean {
  return (
    onlyKeys(v, ['baseUrl', 'api', 'apiKey', 'models']) &&
    typeof v.apiKey === 'string' &&
    v.apiKey.startsWith('!') &&
    v.apiKey.endsWith(' token --format raw')
  )
}

/**
 * Adds (models given) or removes (null) our provider in pi's models.json. A file it does not
 * understand is left byte-identical: `skipped`, code `host_config_unrecognized`.
 * @throws SkillError `state_unsafe`, `lock_timeout`.
 */
export function syncPi(ctx: Ctx, models: RegistryModel[] | null): Promise<HostFileReport> {
  return updateHostFile(ctx, piModelsPath(ctx), models !== null, (doc) => {
    if ('providers' in doc && !isObject(doc.providers)) return '"providers" is not an object'
    const providers = child(doc, 'providers', models !== null)
    if (!providers) return true
    if (PI_PROVIDER_ID in providers && !isOurPiProvider(providers[PI_PROVIDER_ID]))
      return `"providers.${PI_PROVIDER_ID}" is not an entry this tool wrote`
    if (models === null) delete providers[PI_PROVIDER_ID]
    else providers[PI_PROVIDER_ID] = piProvider(ctx, models)
    return true
  })
}
