/**
 * OpenClaw adapter: `models.providers["chatgpt-codex"]` in openclaw.json with OpenClaw's own
 * ChatGPT dialect (`openai-chatgpt-responses`), its `apiKey` an exec SecretRef resolved by
 * `secrets.providers["chatgpt-codex"]` (the credential helper speaking OpenClaw's exec
 * protocol), and the refs added to `agents.defaults.models` only when the user keeps that
 * allowlist. Not `openai-codex`: OpenClaw treats that id as legacy and `openclaw doctor --fix`
 * rewrites it. Shapes read from OpenClaw 2026.9.6's config schema (`src/config/zod-schema.core.ts`).
 *
 * @see docs/hosts.md "OpenClaw"
 */

import { realpathSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import type { Ctx } from '../context.js'
import { credentialCommand, credentialEnv, credentialShell } from './credential.js'
import {
  child,
  isObject,
  onlyKeys,
  updateHostFile,
  type HostFileReport,
  type Json,
} from './host-file.js'
import type { RegistryModel } from './registry.js'

export const OPENCLAW_PROVIDER_ID = 'chatgpt-codex'
/** OpenClaw's api id for the ChatGPT backend (`openai-codex-responses` was removed). */
export const OPENCLAW_API = 'openai-chatgpt-responses'
const REF_PREFIX = `${OPENCLAW_PROVIDER_ID}/`
const PROVIDER_KEYS = ['baseUrl', 'api', 'apiKey', 'models'] as const
const SECRET_KEYS = [
  'source',
  'command',
  'args',
  'env',
  'passEnv',
  'jsonOnly',
  'timeoutMs',
] as const
/** The helper's argv ends with `token`; these follow it. */
const EXEC_FORMAT = ['--format', 'openclaw-exec']

/**
 * The exec secret provider. OpenClaw runs `command` without a shell, from an absolute path that
 * is not a symlink, with only `passEnv` and `env` in its environment; it waits `timeoutMs`
 * (default 5 s, too short for a refresh that waits for the lock and the network).
 * @throws Error when the Node binary's real path cannot be resolved (ENOENT).
 */
export function openclawSecretProvider(ctx: Ctx) {
  const argv = credentialCommand(ctx)
  const [cmd = '', ...rest] = isAbsolute(argv[0] ?? '')
    ? [realpathSync(argv[0]!), ...argv.slice(1), ...EXEC_FORMAT]
    : ['/bin/sh', '-c', credentialShell(ctx, EXEC_FORMAT)]
  const { timeoutMs, lockWaitMs } = ctx.config
  return {
    source: 'exec',
    command: cmd,
    args: rest,
    env: credentialEnv(ctx),
    passEnv: ['HOME', 'PATH'],
    jsonOnly: true,
    timeoutMs: Math.min(120_000, timeoutMs + lockWaitMs + 5_000),
  }
}

/** A model row as OpenClaw's `ModelDefinitionSchema` wants it (`name` is required there). Never throws. */
export function openclawModel(m: RegistryModel) {
  return {
    id: m.upstreamModel,
    name: m.displayName || m.upstreamModel,
    reasoning: m.reasoning,
    input: m.input,
    ...(m.contextWindow && m.contextWindow > 0 ? { contextWindow: m.contextWindow } : {}),
    maxTokens: m.maxOutputTokens,
  }
}

/**
 * Our `models.providers` entry: the backend URL, OpenClaw's ChatGPT dialect, the exec SecretRef
 * and the models. Never throws.
 */
export function openclawProvider(ctx: Ctx, models: RegistryModel[]) {
  return {
    // OpenClaw appends /codex/responses itself (resolveCodexUrl in its ChatGPT transport).
    baseUrl: ctx.config.backendUrl,
    api: OPENCLAW_API,
    apiKey: { source: 'exec', provider: OPENCLAW_PROVIDER_ID, id: 'token' },
    models: models.map(openclawModel),
  }
}

/** True when `v` has the shape this adapter writes (any version of it): ours to replace. Never throws. */
export function isOurOpenclawProvider(v: unknown): boolean {
  if (!onlyKeys(v, PROVIDER_KEYS)) return false
  const k = v.apiKey
  return (
    isObject(k) && k.source === 'exec' && k.provider === OPENCLAW_PROVIDER_ID && k.id === 'token'
  )
}

/** True when `v` is the exec provider this adapter writes (any version of it). Never throws. */
export function isOurSecretProvider(v: unknown): boolean {
  return (
    onlyKeys(v, SECRET_KEYS) &&
    v.source === 'exec' &&
    Array.isArray(v.args) &&
    v.args.join(' ').includes(`token ${EXEC_FORMAT.join(' ')}`)
  )
}

/**
 * Keeps our refs in step with the models where the user keeps model lists, never creating one:
 * `agents.defaults.models` (the picker's per-model map) gets one `chatgpt-codex/<slug>` entry
 * per model, and a non-empty `agents.defaults.modelPolicy.allow` (the allowlist; empty means
 * "allow any", so adding to it would restrict) gets `chatgpt-codex/*`.
 */
function syncAllowlist(doc: Json, models: RegistryModel[] | null): void {
  const defaults =
    isObject(doc.agents) && isObject(doc.agents.defaults) ? doc.agents.defaults : undefined
  const map = defaults && isObject(defaults.models) ? defaults.models : undefined
  if (map) {
    const wanted = new Set((models ?? []).map((m) => `${REF_PREFIX}${m.upstreamModel}`))
    for (const k of Object.keys(map)) if (k.startsWith(REF_PREFIX) && !wanted.has(k)) delete map[k]
    for (const k of wanted) if (!(k in map)) map[k] = {}
  }
  const policy = defaults && isObject(defaults.modelPolicy) ? defaults.modelPolicy : undefined
  const allow = policy?.allow
  if (!Array.isArray(allow)) return
  const wildcard = `${REF_PREFIX}*`
  const i = allow.indexOf(wildcard)
  // Never empty the list on removal: an empty list would widen the policy to "allow any".
  if (models === null && i >= 0 && allow.length > 1) allow.splice(i, 1)
  else if (models !== null && i < 0 && allow.length > 0) allow.push(wildcard)
}

/** Why the document is not one we can change safely, or undefined when it is. */
function foreign(doc: Json): string | undefined {
  for (const [key, inner] of [
    ['models', 'providers'],
    ['secrets', 'providers'],
  ] as const) {
    if (key in doc && !isObject(doc[key])) return `"${key}" is not an object`
    const o = doc[key]
    if (isObject(o) && inner in o && !isObject(o[inner]))
      return `"${key}.${inner}" is not an object`
  }
  const p = (doc.models as Json | undefined)?.providers as Json | undefined
  const s = (doc.secrets as Json | undefined)?.providers as Json | undefined
  if (p && OPENCLAW_PROVIDER_ID in p && !isOurOpenclawProvider(p[OPENCLAW_PROVIDER_ID]))
    return `"models.providers.${OPENCLAW_PROVIDER_ID}" is not an entry this tool wrote`
  if (s && OPENCLAW_PROVIDER_ID in s && !isOurSecretProvider(s[OPENCLAW_PROVIDER_ID]))
    return `"secrets.providers.${OPENCLAW_PROVIDER_ID}" is not an entry this tool wrote`
  return undefined
}

/**
 * Adds (models given) or removes (null) our entries in openclaw.json. A file it does not
 * understand is left byte-identical: `skipped`, code `host_config_unrecognized`.
 * @throws SkillError `state_unsafe`, `lock_timeout`.
 */
export function syncOpenclaw(ctx: Ctx, models: RegistryModel[] | null): Promise<HostFileReport> {
  return updateHostFile(ctx, ctx.config.openclawConfigPath, models !== null, (doc) => {
    const why = foreign(doc)
    if (why) return why
    const add = models !== null
    const providers = child(child(doc, 'models', add) ?? {}, 'providers', add)
    const secretProviders = child(child(doc, 'secrets', add) ?? {}, 'providers', add)
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
