/**
 * Issue 17 part 3: `doctor` reports, per enabled host, whether its config file parses and still
 * holds our entry in the shape we wrote; read-only (host files byte-identical, nothing created).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { syncOpenclaw } from '../src/host/openclaw.js'
import { piModelsPath, syncPi } from '../src/host/pi.js'
import { writeRegistry } from '../src/host/registry.js'
import { call, HOST_MODELS, snapshot } from './helpers/state.js'

const MODELS = HOST_MODELS.slice(0, 1)

async function setup(state: 'signed-in' | 'signed-out' = 'signed-in') {
  const root = mkdtempSync(join(tmpdir(), 'cco-hostdoc-'))
  const env = {
    HOME: join(root, 'home'),
    CHATGPT_CODEX_HOME: join(root, 'state'),
    CHATGPT_CODEX_HOSTS: 'pi,openclaw',
    PI_CODING_AGENT_DIR: join(root, 'pi'),
    OPENCLAW_CONFIG_PATH: join(root, 'openclaw', 'openclaw.json'),
    CHATGPT_CODEX_BACKEND_URL: 'http://127.0.0.1:9/backend-api',
  }
  const ctx = createContext(env)
  await writeRegistry(ctx, state, state === 'signed-in' ? MODELS : [])
  return { root, env, ctx, oc: ctx.config.openclawConfigPath, pi: piModelsPath(ctx) }
}

/** doctor in-process; asserts it left both host dirs byte-identical. */
async function hostFindings(env: Record<string, string>, root: string) {
  const dirs = [join(root, 'pi'), join(root, 'openclaw')]
  const before = dirs.map((d) => (mkdirSync(d, { recursive: true }), snapshot(d)))
  const r = await call('doctor', env)
  expect(r.ok).toBe(true)
  expect(dirs.map((d) => snapshot(d))).toEqual(before)
  const hosts = (r.findings as any[]).filter((f) => /^host_/.test(f.id))
  expect(r.checks).toContain('hosts')
  return Object.fromEntries(hosts.map((f) => [f.message.split(':')[0], f]))
}

describe('doctor: hosts', () => {
  it('both entries as written: host_ok for each', async () => {
    const { root, env, ctx } = await setup()
    await syncPi(ctx, MODELS)
    await syncOpenclaw(ctx, MODELS)
    const f = await hostFindings(env, root)
    expect(f.pi).toMatchObject({ id: 'host_ok', severity: 'info', hint: null })
    expect(f.openclaw).toMatchObject({ id: 'host_ok', severity: 'info' })
    rmSync(root, { recursive: true, force: true })
  })

  it('a file that does not parse, a missing file, a foreign entry, the removed OpenClaw api id', async () => {
    const { root, env, ctx, oc, pi } = await setup()
    mkdirSync(dirname(oc), { recursive: true })
    writeFileSync(oc, '{ "models": ')
    let f = await hostFindings(env, root)
    expect(f.openclaw).toMatchObject({ id: 'host_file_invalid', severity: 'error' })
    expect(f.pi).toMatchObject({
      id: 'host_file_missing',
      severity: 'warning',
      hint: expect.stringContaining('models --force'),
    })

    writeFileSync(oc, '{}')
    await syncOpenclaw(ctx, MODELS)
    const doc = JSON.parse(readFileSync(oc, 'utf8'))
    doc.models.providers['chatgpt-codex'].api = 'openai-codex-responses'
    writeFileSync(oc, JSON.stringify(doc))
    mkdirSync(dirname(pi), { recursive: true })
    writeFileSync(
      pi,
      JSON.stringify({ providers: { 'chatgpt-codex': { baseUrl: 'x', apiKey: 'sk-mine' } } }),
    )
    f = await hostFindings(env, root)
    expect(f.openclaw).toMatchObject({ id: 'host_entry_outdated', severity: 'error' })
    expect(f.openclaw.message).toContain('openai-codex-responses')
    expect(f.pi).toMatchObject({ id: 'host_entry_foreign', severity: 'warning' })
    rmSync(root, { recursive: true, force: true })
  })

  it('an entry missing while signed in, an older model list, and an entry left while signed out', async () => {
    const { root, env, ctx, oc } = await setup()
    await syncPi(ctx, [
      ...MODELS,
      { ...MODELS[0]!, id: 'openai-codex/gone', upstreamModel: 'gone' },
    ])
    mkdirSync(dirname(oc), { recursive: true })
    writeFileSync(oc, JSON.stringify({ gateway: { mode: 'local' } }))
    let f = await hostFindings(env, root)
    expect(f.pi).toMatchObject({ id: 'host_entry_outdated', severity: 'warning' })
    expect(f.openclaw).toMatchObject({ id: 'host_entry_missing', severity: 'warning' })

    await writeRegistry(ctx, 'signed-out', [])
    f = await hostFindings(env, root)
    expect(f.pi).toMatchObject({ id: 'host_entry_stale', hint: expect.stringContaining('logout') })
    expect(f.openclaw).toMatchObject({ id: 'host_ok', severity: 'info' })
    rmSync(root, { recursive: true, force: true })
  })
})
