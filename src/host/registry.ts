/**
 * The neutral model registry (field-notes B9): `<registry>/providers/openai-codex.json`, which a
 * host reads to fill its model picker, and `<registry>/models-changed`, a version counter a host
 * can stat or watch to know when to reload. Holds no token: only the credential command.
 */
import { promises as fsp } from 'node:fs'
import { join } from 'node:path'
import * as z from '../zod.js'
import type { Ctx } from '../context.js'
import type { ModelView } from '../backend/models.js'
import { SkillError } from '../result.js'
import { readJson, writeJson } from '../store/json-file.js'
import { lockOptions, withLock } from '../store/lock.js'
import { credentialCommand, credentialEnv } from './credential.js'
import { recordedGateway } from '../store/gateway-record.js'

export const PROVIDER_ID = 'openai-codex'
/** The Codex models' output limit (pi-ai's openai-codex list); the catalog does not carry one. */
export const MAX_OUTPUT_TOKENS = 128_000

/** The registry's states, in the provider file and its summary alike. */
const STATES = ['signed-in', 'signed-out', 'reauth_required'] as const

/**
 * The provider file hosts read. Built on first use (z.lazy): many processes load this module and
 * never read the file (status reads only its summary), and a cold process should not build ~40
 * schemas for nothing.
 */
export const ProviderFile = z.lazy(() => {
  const RegistryModel = z.object({
    id: z.string(),
    upstreamModel: z.string(),
    displayName: z.string(),
    contextWindow: z.nullable(z.number()),
    maxOutputTokens: z.number(),
    input: z.array(z.enum(['text', 'image'])),
    reasoning: z.boolean(),
  })
  const command = <O extends string>(output: O) =>
    z.object({
      type: z.literal('command'),
      argv: z.array(z.string()),
      env: z.record(z.string(), z.string()),
      output: z.literal(output),
    })
  return z.object({
    schemaVersion: z.literal(1),
    provider: z.object({
      id: z.string(),
      displayName: z.string(),
      api: z.string(),
      dialect: z.string(),
      baseUrl: z.string(),
      headers: z.record(z.string(), z.string()),
      credential: z.extend(command('json'), { cacheSeconds: z.number() }),
      state: z.enum(STATES),
      updatedAt: z.string(),
      /** The loopback OpenAI-compatible gateway, for hosts that speak only the OpenAI API. */
      gateway: z.optional(
        z.object({
          api: z.literal('openai-completions'),
          /** `http://127.0.0.1:<port>/v1` while a gateway runs, else null. */
          baseUrl: z.nullable(z.string()),
          keyCommand: command('raw'),
        }),
      ),
    }),
    models: z.array(RegistryModel),
  })
})
export type ProviderFile = z.infer<typeof ProviderFile>
export type RegistryModel = ProviderFile['models'][number]
export type RegistryState = ProviderFile['provider']['state']

const Marker = z.lazy(() =>
  z.object({ version: z.int().check(z.nonnegative()), updatedAt: z.string() }),
)

/**
 * The registry's files under `CHATGPT_CODEX_REGISTRY_DIR`: the provider file, the change marker
 * and the lock. The one place these paths are spelled (doctor and status read them here).
 * Never throws.
 */
export function registryPaths(ctx: Ctx) {
  const dir = ctx.config.registryDir
  return {
    dir,
    provider: join(dir, 'providers', `${PROVIDER_ID}.json`),
    marker: join(dir, 'models-changed'),
    lock: join(dir, 'registry'),
  }
}

/**
 * A public model view in the registry's shape.
 * Never throws.
 */
export function registryModel(m: ModelView): RegistryModel {
  return {
    id: m.id,
    upstreamModel: m.slug,
    displayName: m.display_name,
    contextWindow: m.context_window,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    input: m.input.filter((i): i is 'text' | 'image' => i === 'text' || i === 'image'),
    reasoning: m.reasoning_levels.length > 0,
  }
}

/**
 * A registry model in the shape pi's `models.json` wants (`id`, `name`, `reasoning`, `input`,
 * `contextWindow`, `maxTokens`). OpenClaw has its own (`openclawModel`, src/host/openclaw.ts).
 * Never throws.
 *
 * @see docs/hosts.md "pi"
 */
export function hostModel(m: RegistryModel) {
  return {
    id: m.upstreamModel,
    name: m.displayName,
    reasoning: m.reasoning,
    input: m.input,
    ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}),
    maxTokens: m.maxOutputTokens,
  }
}

/**
 * Reads the provider file; undefined when absent or unreadable (status must not fail on it).
 * @throws SkillError `state_corrupt`, `state_unsafe`.
 */
export async function readRegistry(ctx: Ctx): Promise<ProviderFile | undefined> {
  try {
    return await readJson(registryPaths(ctx).provider, ProviderFile)
  } catch {
    return undefined
  }
}

/**
 * What `status` shows of the provider file: its state, when it changed, the model ids. Checked
 * against just those fields (the full shape is for writers, hosts and doctor): a cold `status`
 * building and running the whole provider schema cost ~4 ms of a budget of ~13.
 */
const Summary = z.lazy(() =>
  z.object({
    provider: z.object({
      state: z.enum(STATES),
      updatedAt: z.string(),
    }),
    models: z.array(z.object({ id: z.string() })),
  }),
)

/**
 * The provider file's summary; undefined when absent or unreadable (like {@link readRegistry}).
 * Never throws: an unreadable registry is reported in the summary.
 */
export async function readRegistrySummary(
  ctx: Ctx,
): Promise<{ state: RegistryState; updatedAt: string; models: string[] } | undefined> {
  try {
    const doc = await readJson(registryPaths(ctx).provider, Summary)
    return doc && { ...doc.provider, models: doc.models.map((m) => m.id) }
  } catch {
    return undefined
  }
}

/** Creates a directory without touching the mode of one that exists; refuses a symlink. */
async function prepareDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
  const st = await fsp.lstat(dir)
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new SkillError(
      'state_unsafe',
      `Refusing to use the registry directory ${dir}: not a plain directory`,
    )
  }
}

export interface RegistryReport {
  path: string
  marker: string
  /** True when the provider file changed (and the marker was bumped). */
  changed: boolean
  version: number
  state: RegistryState
  models: string[]
  /** When the provider file's content last changed (ISO 8601). */
  updated_at: string
}

/**
 * Writes the provider file when its content (state or models) differs from what is on disk, and
 * then bumps the marker. Idempotent: the same catalog twice writes nothing the second time.
 * @throws SkillError `state_corrupt` (kept, not overwritten), `state_unsafe`, `lock_timeout`.
 */
export async function writeRegistry(
  ctx: Ctx,
  state: RegistryState,
  models: RegistryModel[],
): Promise<RegistryReport> {
  const p = registryPaths(ctx)
  const doc = await providerDoc(ctx, state, models)
  const base = { path: p.provider, marker: p.marker, state, models: models.map((m) => m.id) }
  // Most calls change nothing (models on a cache hit, a repeated sign-in): answer those from an
  // unlocked read (files are replaced atomically) without loading the lock or write libraries.
  const seen = await current(ctx)
  if (seen.marker && sameDoc(seen.doc, doc)) {
    return {
      ...base,
      changed: false,
      version: seen.marker.version,
      updated_at: seen.doc?.provider.updatedAt ?? doc.provider.updatedAt,
    }
  }
  await prepareDir(join(p.dir, 'providers'))
  return withLock(p.lock, lockOptions(ctx), async () => {
    const { doc: old, marker } = await current(ctx)
    const same = sameDoc(old, doc)
    if (same && marker)
      return {
        ...base,
        changed: false,
        version: marker.version,
        updated_at: old?.provider.updatedAt ?? doc.provider.updatedAt,
      }
    if (!same) await writeJson(p.provider, doc, { locked: true })
    const version = (marker?.version ?? 0) + 1
    await writeJson(p.marker, { version, updatedAt: doc.provider.updatedAt }, { locked: true })
    return { ...base, changed: true, version, updated_at: doc.provider.updatedAt }
  })
}

/** The provider file and marker as they are on disk (either may be absent or unreadable). */
async function current(ctx: Ctx) {
  const doc = await readRegistry(ctx)
  const marker = await readJson(registryPaths(ctx).marker, Marker).catch(() => undefined)
  return { doc, marker }
}

/** Equal but for `updatedAt`: the same state, models, commands and gateway URL. */
function sameDoc(old: ProviderFile | undefined, doc: ProviderFile): boolean {
  return (
    old !== undefined &&
    JSON.stringify({ ...old.provider, updatedAt: '' }) ===
      JSON.stringify({ ...doc.provider, updatedAt: '' }) &&
    JSON.stringify(old.models) === JSON.stringify(doc.models)
  )
}

async function providerDoc(
  ctx: Ctx,
  state: RegistryState,
  models: RegistryModel[],
): Promise<ProviderFile> {
  return {
    schemaVersion: 1,
    provider: {
      id: PROVIDER_ID,
      displayName: 'ChatGPT (Codex subscription)',
      api: 'openai-responses',
      dialect: 'chatgpt-codex',
      baseUrl: `${ctx.config.backendUrl}/codex`,
      headers: { originator: ctx.config.originator },
      credential: {
        type: 'command',
        argv: credentialCommand(ctx),
        env: credentialEnv(ctx),
        output: 'json',
        cacheSeconds: 300,
      },
      state,
      updatedAt: new Date(ctx.now()).toISOString(),
      gateway: {
        api: 'openai-completions',
        baseUrl: (await recordedGateway(ctx))?.url ?? null,
        keyCommand: {
          type: 'command',
          argv: [...credentialCommand(ctx).slice(0, -1), 'gateway-key'],
          env: credentialEnv(ctx),
          output: 'raw',
        },
      },
    },
    models,
  }
}

/**
 * Rewrites the provider file with the current gateway URL (serve started or stopped).
 * @throws SkillError `state_corrupt`, `state_unsafe`, `lock_timeout`.
 */
export async function refreshGatewayEntry(ctx: Ctx): Promise<void> {
  const old = await readRegistry(ctx)
  if (old) await writeRegistry(ctx, old.provider.state, old.models)
}
