/**
 * OpenClaw adapter (field-notes B1, B8): `models.providers["chatgpt-codex"]` in openclaw.json,
 * its `apiKey` an exec SecretRef resolved by `secrets.providers["chatgpt-codex"]` (the credential
 * helper speaking OpenClaw's exec protocol), and the refs added to `agents.defaults.models` only
 * when the user keeps that allowlist. Not `openai-codex`: OpenClaw treats that id as legacy and
 * `openclaw doctor --fix` rewrites it.
 */

import { isAbsolute } from 'node:path'
import type { Ctx } from '../context.js'
import { credentialCommand, credentialEnv, credentialShell } from './credential.js'
import { child, isObject, updateHostFile, type HostFileReport, type Json } from './host-file.js'
import { hostModel, type RegistryModel } from './registry.js'

export const OPENCLAW_PROVIDER_ID = 'chatgpt-codex'
const REF_PREFIX = `${OPENCLAW_PROVIDER_ID}/`

/**
 * The exec secret provider. OpenClaw runs an absolute, non-symlink command without a shell and
 * with a minimal environment, so the helper goes through /usr/bin/env with its variables inline.
 * Never throws.
 */
export function openclawSecretProvider(ctx: Ctx) {
  const argv = credentialCommand(ctx)
  const env = Object.entries(credentialEnv(ctx)).map(([k, v]) => `${k}=${v}`)
  const args = isAbsolute(argv[0] ?? '')
    ? [...env, ...argv, '--format', 'openclaw-exec']
    : ['sh', '-c', credentialShell(ctx, ['--format', 'openclaw-exec'])]
  return {
    source: 'exec',
    command: '/usr/bin/env',
    args,
    passEnv: ['HOME', 'PATH'],
    jsonOnly: true,
  }
}

/**
 * The `openai-codex` provider entry OpenClaw's models.json gets: the backend URL, the API
 * dialect, the exec credential command and the models. Never throws.
 */
export function openclawProvider(ctx: Ctx, models: RegistryModel[]) {
  return {
    baseUrl: ctx.config.backendUrl,
    api: 'openai-codex-responses',
    apiKey: { source: 'exec', provider: OPENCLAW_PROVIDER_ID, id: 'token' },
    models: models.map(hostModel),
  }
}

/** Keeps our refs in a user-kept allowlist in step with the models; never creates the allowlist. */
function syncAllowlist(doc: Json, models: RegistryModel[] | null): void {
  const defaults =
    isObject(doc.agents) && isObject(doc.agents.defaults) ? doc.agents.defaults : undefined
  const allow = defaults && isObject(defaults.models) ? defaults.models : undefined
  if (!allow) return
  const wanted = new Set((models ?? []).map((m) => `${REF_PREFIX}${m.upstreamModel}`))
  for (const k of Object.keys(allow))
    if (k.startsWith(REF_PREFIX) && !wanted.has(k)) delete allow[k]
  for (const k of wanted) if (!(k in allow)) allow[k] = {}
}

/**
 * Adds (models given) or removes (null) our entries in openclaw.json.
 * @throws SkillError `state_unsafe`, `lock_timeout`.
 */
export function syncOpenclaw(ctx: Ctx, models: RegistryModel[] | null): Promise<HostFileReport> {
  return updateHostFile(ctx, ctx.config.openclawConfigPath, models !== null, (doc) => {
    const add = models !== null
    const modelsKey = child(doc, 'models', add)
    const providers = modelsKey && child(modelsKey, 'providers', add)
    const secrets = child(doc, 'secrets', add)
    const secretProviders = secrets && child(secrets, 'providers', add)
    if (add && (!providers || !secretProviders))
      return '"models.providers" or "secrets.providers" is not an object'
    if (add) {
      providers![OPENCLAW_PROVIDER_ID] = openclawProvider(ctx, models)
      secretProviders![OPENCLAW_PROVIDER_ID] = openclawSecretProvider(ctx)
    } else {
      if (providers) delete providers[OPENCLAW_PROVIDER_ID]
      if (secretProviders) delete secretProviders[OPENCLAW_PROVIDER_ID]
    }
    syncAllowlist(doc, models)
    return true
  })
}
