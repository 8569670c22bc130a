/**
 * Issue 4 end to end: the `token` credential helper (the one output allowed to carry a token),
 * and the opted-in host files (CHATGPT_CODEX_HOSTS=pi,openclaw) written at sign-in and cleaned
 * at logout, with each host's own way of running the helper: pi's ModelRegistry resolves its
 * `!command` apiKey, and OpenClaw's exec protocol is spoken over stdin/stdout with the minimal
 * environment OpenClaw gives exec providers.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv } from './helpers/cli.js'
import { piSdk } from './helpers/clients.js'
import { tempDir, world, type World } from './helpers/harness.js'
import { leakScan, record, recordAllowed } from './helpers/leaks.js'

const TOKEN = 'POST /oauth/token'

/** Runs a host-configured command the way OpenClaw's exec provider does: no shell, JSON on stdin. */
function execLikeOpenclaw(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env,
      cwd: tempDir('cco-oc-cwd-'),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => record(String(d)))
    child.on('error', reject)
    child.on('close', () => resolve(out))
    child.stdin.end(
      JSON.stringify({ protocolVersion: 1, provider: 'chatgpt-codex', ids: ['token'] }),
    )
  })
}

describe('token, and the host files that point at it', () => {
  let w: World
  let piDir: string
  let openclawPath: string
  beforeAll(async () => {
    const root = tempDir('cco-hosts-e2e-')
    piDir = join(root, 'pi')
    openclawPath = join(root, 'openclaw', 'openclaw.json')
    w = await world({
      env: {
        CHATGPT_CODEX_HOSTS: 'pi,openclaw',
        PI_CODING_AGENT_DIR: piDir,
        OPENCLAW_CONFIG_PATH: openclawPath,
      },
    })
  })
  afterAll(() => w.close())

  it('signed out: exits non-zero with a JSON error and no token', async () => {
    const t = await w.cli(['token'])
    expect(t.code).toBe(1)
    expect(t.json).toMatchObject({ ok: false, code: 'not_signed_in' })
    expect(t.json.token).toBeUndefined()
    const raw = await w.cli(['token', '--format', 'raw'])
    expect(raw.code).toBe(1)
    expect(raw.json).toMatchObject({ ok: false, code: 'not_signed_in' })
  })

  it('signed in: prints {ok, token, expires_at, account_id, headers} with no request while fresh', async () => {
    const p = await w.signIn()
    expect(p.json.hosts).toMatchObject({
      pi: { action: 'written' },
      openclaw: { action: 'written' },
    })
    const before = w.emu.requests.length
    const t = await w.cli(['token'])
    recordAllowed(t.stdout)
    expect(t.code).toBe(0)
    expect(t.json).toEqual({
      ok: true,
      token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]*$/),
      expires_at: expect.any(String),
      account_id: w.emu.account.account_id,
      headers: { 'chatgpt-account-id': w.emu.account.account_id, originator: 'codex_cli_rs' },
    })
    expect(w.emu.requests.length).toBe(before)
    expect(w.emu.secrets()).toContain(t.json.token)
  })

  it('refreshes under the lock when within 5 minutes of expiry', async () => {
    const refreshes = w.emu.count(TOKEN)
    const t = await w.cli(['token'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(57 * 60_000) })
    recordAllowed(t.stdout)
    expect(t.json.ok).toBe(true)
    expect(w.emu.count(TOKEN)).toBe(refreshes + 1)
    expect(w.emu.stats.reuse).toBe(0)
  })

  it("pi loads its models.json and resolves the apiKey through the helper's raw format", async () => {
    const path = join(piDir, 'models.json')
    const text = readFileSync(path, 'utf8')
    record(text)
    const t = await w.cli(['token'])
    recordAllowed(t.stdout)
    const { AuthStorage, ModelRegistry } = await piSdk()
    const reg = ModelRegistry.create(AuthStorage.create(join(piDir, 'auth.json')), path)
    expect(reg.getError()).toBeUndefined()
    expect(reg.find('chatgpt-codex', 'gpt-5.5')).toMatchObject({
      api: 'openai-codex-responses',
      contextWindow: 272000,
    })
    // pi runs `!command` through the shell with its own environment (here: this test's).
    const key = await reg.getApiKeyForProvider('chatgpt-codex')
    expect(key).toBe(t.json.token)
  })

  it('OpenClaw: the exec secret provider answers the exec protocol with the token', async () => {
    const text = readFileSync(openclawPath, 'utf8')
    record(text)
    const exec = JSON.parse(text).secrets.providers['chatgpt-codex']
    // OpenClaw gives the command only passEnv (from its own environment) and env.
    const env = { ...childEnv({ HOME: w.env.HOME }), ...exec.env }
    const out = await execLikeOpenclaw(exec.command, exec.args, env)
    recordAllowed(out)
    const t = await w.cli(['token'])
    recordAllowed(t.stdout)
    expect(JSON.parse(out)).toEqual({ protocolVersion: 1, values: { token: t.json.token } })
  })

  it('logout removes only our entries from both host files', async () => {
    const out = await w.cli(['logout'])
    expect(out.json.hosts).toMatchObject({
      pi: { action: 'written' },
      openclaw: { action: 'written' },
    })
    const pi = JSON.parse(readFileSync(join(piDir, 'models.json'), 'utf8'))
    expect(pi).toEqual({ providers: {} })
    const oc = JSON.parse(readFileSync(openclawPath, 'utf8'))
    expect(oc).toEqual({ models: { providers: {} }, secrets: { providers: {} } })
  })
})

leakScan(import.meta.url)
