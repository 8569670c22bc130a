/**
 * Issue 17: every host adapter proven by the host itself. One sign-in with
 * CHATGPT_CODEX_HOSTS=openclaw,pi against the emulator, then the real OpenClaw 2026.9.6
 * (installed pinned by test/helpers/openclaw.ts, under Node 24) and the real pi 0.73.1 read
 * what the adapters wrote, next to the user's own settings, and answer through the emulator.
 * OpenClaw commands take ~15 s each on 2 cores: the file shares one install and one sign-in.
 *
 * Tokens live 240 s here, inside the 5-minute refresh window, so every run of our credential
 * command refreshes once: the emulator's refresh count proves a host ran it.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENTS_DIR } from './helpers/clients.js'
import { figure } from './helpers/figures.js'
import { world, type World } from './helpers/harness.js'
import { leakScan, record, trackSecrets } from './helpers/leaks.js'
import { ensureOpenclaw, runOpenclaw, type Openclaw } from './helpers/openclaw.js'

const ID = 'chatgpt-codex'
const POST = 'POST /backend-api/codex/responses'
const T = 420_000
const t0 = Date.now()

/** The user's own OpenClaw settings and provider, there before the sign-in. */
const USER_OPENCLAW = {
  gateway: { mode: 'local' },
  agents: {
    defaults: {
      model: { primary: 'local/llama3' },
      // The picker's per-model map and a restricting allowlist: our refs join both.
      models: { 'local/llama3': { alias: 'l' } },
      modelPolicy: { allow: ['local/*'] },
      timeoutSeconds: 120,
    },
  },
  models: {
    mode: 'merge',
    catalogRefresh: { enabled: false },
    providers: {
      local: {
        baseUrl: 'http://127.0.0.1:11434/v1',
        api: 'openai-completions',
        apiKey: 'ollama',
        models: [{ id: 'llama3', name: 'Llama 3', contextWindow: 8192 }],
      },
    },
  },
  update: { checkOnStart: false },
}
const USER_PI = {
  providers: {
    ollama: {
      baseUrl: 'http://127.0.0.1:11434/v1',
      api: 'openai-completions',
      apiKey: 'ollama',
      models: [{ id: 'llama3' }],
    },
  },
}

const PI_QUIET = [
  '--no-session',
  '--no-tools',
  '--no-extensions',
  '--no-skills',
  '--no-prompt-templates',
  '--no-themes',
  '--no-context-files',
]
/**
 * pi's bin, from test/clients (pinned there, installed by the global setup; its package.json
 * exports neither itself nor a require entry).
 */
const PI_CLI = join(
  CLIENTS_DIR,
  'node_modules',
  '@mariozechner',
  'pi-coding-agent',
  'dist',
  'cli.js',
)

let oc: Openclaw
let w: World
let ocPath: string
let piDir: string
let models: string[] = []

const readJson = (p: string) => {
  const text = readFileSync(p, 'utf8')
  record(text)
  return JSON.parse(text)
}
const ocEnv = () => ({ HOME: w.env.HOME! })
const openclaw = (args: string[]) => runOpenclaw(oc, args, ocEnv())

/** `pi -p` once, quiet, offline start-up, with its own agent dir. */
function pi(
  args: string[],
  agentDir = piDir,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PI_CLI, '-p', ...PI_QUIET, ...args], {
      cwd: w.env.HOME!,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: w.env.HOME!,
        PI_CODING_AGENT_DIR: agentDir,
        PI_OFFLINE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      record(stdout)
      record(stderr)
      resolve({ code, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  oc = await ensureOpenclaw()
  w = await world({ emu: { accessTtlS: 240 }, env: { CHATGPT_CODEX_HOSTS: 'openclaw,pi' } })
  piDir = join(w.env.HOME!, '.pi', 'agent')
  ocPath = join(w.env.HOME!, '.openclaw', 'openclaw.json')
  mkdirSync(dirname(ocPath), { recursive: true })
  mkdirSync(piDir, { recursive: true })
  writeFileSync(ocPath, JSON.stringify(USER_OPENCLAW, null, 2))
  writeFileSync(join(piDir, 'models.json'), JSON.stringify(USER_PI, null, 2))
  const p = await w.signIn()
  expect(p.json).toMatchObject({
    hosts: { openclaw: { action: 'written' }, pi: { action: 'written' } },
  })
  expect(p.json.warnings).toBeUndefined()
  models = p.json.registry.models.map((m: string) => m.replace(/^openai-codex\//, ''))
}, 900_000)

afterAll(async () => {
  figure('hosts_real', { install_ms: oc?.installMs ?? -1, file_ms: Date.now() - t0 })
  await w?.close()
})

describe('OpenClaw 2026.9.6', () => {
  it(
    'config validate accepts what the sign-in wrote; the user settings are unchanged',
    async () => {
      const r = await openclaw(['config', 'validate', '--json'])
      expect(r.json, r.stdout + r.stderr).toMatchObject({ valid: true })
      const doc = readJson(ocPath)
      expect(Object.keys(doc)).toEqual([...Object.keys(USER_OPENCLAW), 'secrets'])
      const { providers, ...modelsRest } = doc.models
      const { providers: userProviders, ...userModelsRest } = USER_OPENCLAW.models
      expect(modelsRest).toEqual(userModelsRest)
      expect(Object.keys(providers)).toEqual([...Object.keys(userProviders), ID])
      expect(providers.local).toEqual(userProviders.local)
      for (const k of ['gateway', 'update'] as const) expect(doc[k]).toEqual(USER_OPENCLAW[k])
      const user = USER_OPENCLAW.agents.defaults
      expect(doc.agents).toEqual({
        defaults: {
          ...user,
          models: { ...user.models, ...Object.fromEntries(models.map((m) => [`${ID}/${m}`, {}])) },
          modelPolicy: { allow: [...user.modelPolicy.allow, `${ID}/*`] },
        },
      })
      expect(providers[ID]).toMatchObject({
        api: 'openai-chatgpt-responses',
        baseUrl: w.emu.backendUrl,
      })
    },
    T,
  )

  it('doctor agrees: both host files parse and hold our entry as written', async () => {
    const d = await w.cli(['doctor'])
    const hosts = (d.json.findings as { id: string; message: string }[]).filter((f) =>
      f.id.startsWith('host_'),
    )
    expect(hosts.map((f) => [f.message.split(':')[0], f.id])).toEqual([
      ['openclaw', 'host_ok'],
      ['pi', 'host_ok'],
    ])
  })

  it(
    'models list runs our credential command and lists every model as available',
    async () => {
      const refreshes = w.emu.count('refresh')
      const r = await openclaw(['models', 'list', '--json', '--provider', ID])
      expect(r.json, r.stdout + r.stderr).toMatchObject({ count: models.length })
      const rows = r.json.models as { key: string; available: boolean }[]
      expect(rows.map((m) => m.key).sort()).toEqual(models.map((m) => `${ID}/${m}`).sort())
      expect(rows.every((m) => m.available)).toBe(true)
      expect(w.emu.count('refresh')).toBeGreaterThan(refreshes)
    },
    T,
  )

  it(
    'infer answers through the emulator with one POST and the account header',
    async () => {
      const model = models.includes('gpt-5.5') ? 'gpt-5.5' : models[0]!
      w.emu.reset()
      const r = await openclaw([
        'infer',
        'model',
        'run',
        '--local',
        '--json',
        '--model',
        `${ID}/${model}`,
        '--prompt',
        'Say OK',
      ])
      expect(r.json, r.stdout + r.stderr).toMatchObject({ ok: true, provider: ID, model })
      expect(r.json.outputs[0].text).toBe('OK')
      // A GET (its websocket attempt, answered 426) comes first; exactly one POST carries the turn.
      expect(w.emu.count(POST)).toBe(1)
      const post = w.emu.requests.find((q) => `${q.method} ${q.path}` === POST)!
      expect(post.headers['chatgpt-account-id']).toBe(w.emu.account.account_id)
      expect(post.headers.originator).toBe('openclaw')
      figure('hosts_real_openclaw_infer', { ms: r.ms })
    },
    T,
  )
})

describe('pi 0.73.1', () => {
  it(
    'answers through the registered provider',
    async () => {
      w.emu.reset()
      const model = models.includes('gpt-5.5') ? 'gpt-5.5' : models[0]!
      const r = await pi(['--provider', ID, '--model', model, 'Say OK'])
      expect(r.stdout.trim(), r.stderr).toBe('OK')
      expect(w.emu.count(POST)).toBe(1)
      const post = w.emu.requests.find((q) => `${q.method} ${q.path}` === POST)!
      expect(post.headers['chatgpt-account-id']).toBe(w.emu.account.account_id)
      expect(post.headers.originator).toBe('pi')
      expect(readJson(join(piDir, 'models.json')).providers.ollama).toEqual(
        USER_PI.providers.ollama,
      )
    },
    T,
  )

  it(
    'answers through the gateway with openai-completions and openai-responses providers keyed by the registry key command',
    async () => {
      const s = await w.cli(['serve', '--detach', '--port', '0'])
      expect(s.json).toMatchObject({ ok: true, status: 'running' })
      try {
        trackSecrets(() => [JSON.parse(readFileSync(s.json.key_file, 'utf8')).key])
        // The key command exactly as a host finds it in the registry (argv + env, raw output).
        const reg = readJson(join(w.home, 'registry', 'providers', 'openai-codex.json'))
        const { argv, env } = reg.provider.gateway.keyCommand as {
          argv: string[]
          env: Record<string, string>
        }
        const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`
        const cmd = [...Object.entries(env).map(([k, v]) => `${k}=${q(v)}`), ...argv.map(q)].join(
          ' ',
        )
        const model = models.includes('gpt-5.5') ? 'gpt-5.5' : models[0]!
        const dir = join(w.env.HOME!, 'pi-gateway')
        mkdirSync(dir, { recursive: true })
        const provider = (api: string) => ({
          baseUrl: reg.provider.gateway.baseUrl,
          api,
          apiKey: `!${cmd}`,
          models: [{ id: model, contextWindow: 272000, maxTokens: 128000 }],
        })
        writeFileSync(
          join(dir, 'models.json'),
          JSON.stringify({
            providers: {
              'gw-completions': provider('openai-completions'),
              'gw-responses': provider('openai-responses'),
            },
          }),
        )
        expect(reg.provider.gateway.baseUrl).toBe(s.json.url)
        for (const name of ['gw-completions', 'gw-responses']) {
          const before = w.emu.count(POST)
          const r = await pi(['--provider', name, '--model', model, 'Say OK'], dir)
          expect(r.stdout.trim(), `${name}: ${r.stderr}`).toBe('OK')
          expect(w.emu.count(POST)).toBe(before + 1)
          record(readFileSync(join(dir, 'models.json'), 'utf8'))
        }
      } finally {
        await w.cli(['serve', '--stop'])
        const log = join(w.home, 'gateway.log')
        if (existsSync(log)) record(readFileSync(log, 'utf8'))
      }
    },
    T,
  )
})

describe('logout', () => {
  it(
    'leaves a config OpenClaw accepts, with our provider gone and the user settings intact',
    async () => {
      const out = await w.cli(['logout'])
      expect(out.json).toMatchObject({
        ok: true,
        hosts: { openclaw: { action: 'written' }, pi: { action: 'written' } },
      })
      const r = await openclaw(['config', 'validate', '--json'])
      expect(r.json, r.stdout + r.stderr).toMatchObject({ valid: true })
      const doc = readJson(ocPath)
      expect(doc.models.providers).toEqual(USER_OPENCLAW.models.providers)
      expect(doc.secrets).toEqual({ providers: {} })
      const { secrets: _s, ...rest } = doc
      expect(rest).toEqual(USER_OPENCLAW)
      expect(readJson(join(piDir, 'models.json'))).toEqual(USER_PI)
      for (const bak of [`${ocPath}.bak`, join(piDir, 'models.json.bak')])
        if (existsSync(bak)) record(readFileSync(bak, 'utf8'))
    },
    T,
  )
})

describe('host files', () => {
  it('every file the hosts keep (config, state, caches) is recorded for the secret scan', () => {
    // OpenClaw keeps agent model files, state and SQLite stores under ~/.openclaw; pi its auth.json.
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = join(dir, e.name)
        return e.isDirectory() ? walk(p) : e.isFile() ? [p] : []
      })
    const files = [...walk(join(w.env.HOME!, '.openclaw')), ...walk(join(w.env.HOME!, '.pi'))]
    expect(files.length).toBeGreaterThan(2)
    for (const f of files) record(readFileSync(f).toString('latin1'))
    figure('hosts_real_files_scanned', { files: files.length })
  })
})

leakScan(import.meta.url)
