/**
 * Host adapters on real files: pi's models.json (validated with pi's own ModelRegistry loader
 * and schema, from @mariozechner/pi-coding-agent pinned in test/clients/) and OpenClaw's openclaw.json
 * (checked here against the shapes of OpenClaw 2026.9.6's config schema; test/hosts-real.test.ts
 * runs the real OpenClaw on it). Merge keeps foreign keys and their order, a backup is kept,
 * a second run writes nothing, and removal takes out only our entries.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createContext } from '../src/context.js'
import { HOST_MODELS } from './helpers/state.js'
import { OPENCLAW_PROVIDER_ID, syncOpenclaw } from '../src/host/openclaw.js'
import { PI_PROVIDER_ID, syncPi } from '../src/host/pi.js'
import { piSdk } from './helpers/clients.js'

const MODELS = HOST_MODELS

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'cco-hosts-'))
  const ctx = createContext({
    HOME: join(root, 'home'),
    CHATGPT_CODEX_HOME: join(root, 'state'),
    PI_CODING_AGENT_DIR: join(root, 'pi'),
    OPENCLAW_CONFIG_PATH: join(root, 'openclaw', 'openclaw.json'),
    CHATGPT_CODEX_BACKEND_URL: 'http://127.0.0.1:9/backend-api',
  })
  return { root, ctx }
}

const read = (p: string) => readFileSync(p, 'utf8')

describe('pi adapter', () => {
  const userFile = {
    providers: {
      ollama: {
        baseUrl: 'http://localhost:11434/v1',
        api: 'openai-completions',
        apiKey: 'ollama',
        models: [{ id: 'llama3' }],
      },
      'openai-codex': { modelOverrides: { 'gpt-5.4': { name: 'Mine' } } },
    },
    zzz_user_key: { keep: [1, 2, 3] },
  }

  it('merges into the user file in order, keeps a backup, is idempotent, and pi loads it', async () => {
    const { root, ctx } = setup()
    const path = join(root, 'pi', 'models.json')
    mkdirSync(join(root, 'pi'))
    const original = `${JSON.stringify(userFile, null, 2)}\n`
    writeFileSync(path, original)

    const first = await syncPi(ctx, MODELS)
    expect(first).toMatchObject({ path, action: 'written', backup: `${path}.bak` })
    expect(read(`${path}.bak`)).toBe(original)
    const doc = JSON.parse(read(path))
    expect(Object.keys(doc)).toEqual(['providers', 'zzz_user_key'])
    expect(Object.keys(doc.providers)).toEqual(['ollama', 'openai-codex', PI_PROVIDER_ID])
    expect(doc.providers.ollama).toEqual(userFile.providers.ollama)
    expect(doc.zzz_user_key).toEqual(userFile.zzz_user_key)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const entry = doc.providers[PI_PROVIDER_ID]
    expect(entry.apiKey).toMatch(/^!.* token --format raw$/)
    expect(entry.apiKey).toContain(`CHATGPT_CODEX_HOME=${ctx.config.home}`)

    const text = read(path)
    const mtime = statSync(path).mtimeMs
    expect(await syncPi(ctx, MODELS)).toEqual({ path, action: 'unchanged' })
    expect(read(path)).toBe(text)
    expect(statSync(path).mtimeMs).toBe(mtime)

    // pi's own loader: schema check + validateConfig + parse, the way pi reads the file on /model.
    const { AuthStorage, ModelRegistry } = await piSdk()
    const reg = ModelRegistry.create(AuthStorage.create(join(root, 'pi', 'auth.json')), path)
    expect(reg.getError()).toBeUndefined()
    const m = reg.find(PI_PROVIDER_ID, 'gpt-5.5')
    expect(m).toMatchObject({
      api: 'openai-codex-responses',
      baseUrl: 'http://127.0.0.1:9/backend-api',
      contextWindow: 272000,
      maxTokens: 128000,
      reasoning: true,
      input: ['text', 'image'],
      name: 'GPT-5.5',
    })
    expect(reg.find(PI_PROVIDER_ID, 'gpt-6-luna')).toMatchObject({
      input: ['text'],
      reasoning: false,
    })
    expect(reg.find('ollama', 'llama3')).toBeDefined()
    expect(reg.hasConfiguredAuth(m!)).toBe(true)
  })

  it('removes only its own provider; the user file comes back exactly', async () => {
    const { root, ctx } = setup()
    const path = join(root, 'pi', 'models.json')
    mkdirSync(join(root, 'pi'))
    const original = `${JSON.stringify(userFile, null, 2)}\n`
    writeFileSync(path, original)
    await syncPi(ctx, MODELS)
    expect((await syncPi(ctx, null)).action).toBe('written')
    expect(read(path)).toBe(original)
    expect(await syncPi(ctx, null)).toEqual({ path, action: 'unchanged' })
  })

  it('creates the file when absent, and does not create one just to remove from it', async () => {
    const { root, ctx } = setup()
    const path = join(root, 'pi', 'models.json')
    expect(await syncPi(ctx, null)).toEqual({ path, action: 'unchanged' })
    expect(existsSync(path)).toBe(false)
    expect(await syncPi(ctx, MODELS)).toEqual({ path, action: 'written' })
    expect(Object.keys(JSON.parse(read(path)).providers)).toEqual([PI_PROVIDER_ID])
  })

  it('leaves a file with comments untouched and says why', async () => {
    const { root, ctx } = setup()
    const path = join(root, 'pi', 'models.json')
    mkdirSync(join(root, 'pi'))
    const original = '// my models\n{ "providers": {} }\n'
    writeFileSync(path, original)
    const r = await syncPi(ctx, MODELS)
    expect(r).toMatchObject({
      action: 'skipped',
      reason: expect.stringContaining('not plain JSON'),
    })
    expect(read(path)).toBe(original)
  })
})

/** The openclaw.json shapes our entries use (OpenClaw 2026.9.6 src/config/zod-schema.core.ts). */
const SecretRef = z.object({
  source: z.enum(['env', 'file', 'exec']),
  provider: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/),
})
const OpenclawProvider = z.strictObject({
  baseUrl: z.string().url(),
  api: z.literal('openai-chatgpt-responses'),
  apiKey: z.union([z.string(), SecretRef]),
  headers: z.record(z.string(), z.string()).optional(),
  models: z.array(
    z.strictObject({
      id: z.string().min(1),
      name: z.string().min(1),
      reasoning: z.boolean().optional(),
      input: z.array(z.enum(['text', 'image'])).optional(),
      contextWindow: z.number().positive().optional(),
      maxTokens: z.number().positive().optional(),
    }),
  ),
})
const ExecProvider = z.strictObject({
  source: z.literal('exec'),
  command: z.string().refine(isAbsolute, 'absolute'),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  passEnv: z.array(z.string().regex(/^[A-Z][A-Z0-9_]{0,127}$/)),
  jsonOnly: z.boolean(),
  timeoutMs: z.number().int().positive().max(120_000),
})

describe('openclaw adapter', () => {
  const userConfig = {
    gateway: { mode: 'local', reload: { mode: 'hybrid' } },
    agents: {
      defaults: {
        model: { primary: 'anthropic/claude' },
        models: { 'anthropic/claude': { alias: 'c' } },
      },
    },
    models: {
      mode: 'merge',
      providers: {
        local: {
          baseUrl: 'http://localhost:1/v1',
          api: 'openai-completions',
          models: [{ id: 'x' }],
        },
      },
    },
    secrets: { providers: { vault: { source: 'env' } } },
    channels: { telegram: { enabled: false } },
  }

  it('merges provider, exec secret provider and allowlist refs in the documented format', async () => {
    const { root, ctx } = setup()
    const path = ctx.config.openclawConfigPath
    mkdirSync(join(root, 'openclaw'))
    const original = `${JSON.stringify(userConfig, null, 2)}\n`
    writeFileSync(path, original)

    expect(await syncOpenclaw(ctx, MODELS)).toMatchObject({
      action: 'written',
      backup: `${path}.bak`,
    })
    expect(read(`${path}.bak`)).toBe(original)
    const doc = JSON.parse(read(path))
    expect(Object.keys(doc)).toEqual(Object.keys(userConfig))
    expect(Object.keys(doc.models.providers)).toEqual(['local', OPENCLAW_PROVIDER_ID])
    const provider = OpenclawProvider.parse(doc.models.providers[OPENCLAW_PROVIDER_ID])
    expect(provider.apiKey).toEqual({ source: 'exec', provider: OPENCLAW_PROVIDER_ID, id: 'token' })
    expect(provider.models.map((m) => m.id)).toEqual(['gpt-5.5', 'gpt-6-luna'])
    const exec = ExecProvider.parse(doc.secrets.providers[OPENCLAW_PROVIDER_ID])
    // OpenClaw requires an absolute regular file (not a symlink) as the exec command.
    expect(lstatSync(exec.command).isFile()).toBe(true)
    expect(exec.env.CHATGPT_CODEX_HOME).toBe(ctx.config.home)
    expect(exec.args.join(' ')).toContain('token --format openclaw-exec')
    expect(Object.keys(doc.agents.defaults.models)).toEqual([
      'anthropic/claude',
      `${OPENCLAW_PROVIDER_ID}/gpt-5.5`,
      `${OPENCLAW_PROVIDER_ID}/gpt-6-luna`,
    ])
    expect(await syncOpenclaw(ctx, MODELS)).toEqual({ path, action: 'unchanged' })

    // A smaller catalog drops the stale allowlist ref, and logout restores the user's file.
    await syncOpenclaw(ctx, MODELS.slice(0, 1))
    expect(Object.keys(JSON.parse(read(path)).agents.defaults.models)).toHaveLength(2)
    expect((await syncOpenclaw(ctx, null)).action).toBe('written')
    expect(read(path)).toBe(original)
  })

  it('never creates an allowlist, and leaves a JSON5 file untouched', async () => {
    const { root, ctx } = setup()
    const path = ctx.config.openclawConfigPath
    await syncOpenclaw(ctx, MODELS)
    const doc = JSON.parse(read(path))
    expect(doc.agents).toBeUndefined()
    expect(Object.keys(doc)).toEqual(['models', 'secrets'])

    const json5 = '{\n  // mine\n  gateway: { mode: "local" },\n}\n'
    writeFileSync(path, json5)
    expect(await syncOpenclaw(ctx, MODELS)).toMatchObject({ action: 'skipped' })
    expect(read(path)).toBe(json5)
    expect(existsSync(join(root, 'openclaw', 'openclaw.json.lock'))).toBe(false)
  })

  it('adds chatgpt-codex/* to a non-empty modelPolicy.allow, never to an empty one (allow any)', async () => {
    const { root, ctx } = setup()
    const path = ctx.config.openclawConfigPath
    mkdirSync(join(root, 'openclaw'))
    const policy = (allow: string[]) => ({ agents: { defaults: { modelPolicy: { allow } } } })
    writeFileSync(path, JSON.stringify(policy(['anthropic/*'])))
    await syncOpenclaw(ctx, MODELS)
    expect(JSON.parse(read(path)).agents.defaults.modelPolicy.allow).toEqual([
      'anthropic/*',
      `${OPENCLAW_PROVIDER_ID}/*`,
    ])
    await syncOpenclaw(ctx, null)
    expect(JSON.parse(read(path))).toMatchObject(policy(['anthropic/*']))

    writeFileSync(path, JSON.stringify(policy([])))
    await syncOpenclaw(ctx, MODELS)
    expect(JSON.parse(read(path)).agents.defaults.modelPolicy.allow).toEqual([])
  })
})
