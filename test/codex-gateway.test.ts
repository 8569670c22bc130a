/**
 * The real Codex CLI (the pinned @openai/codex) as a client of the gateway: a custom model
 * provider (`wire_api = "responses"`, `base_url` = the gateway, `env_key` = the gateway key) in
 * a temp CODEX_HOME, and `codex exec` answering one prompt through the gateway against the
 * emulator. Everything not on loopback goes to a trap proxy that records and refuses it.
 * @see docs/codex-client.md
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REFUSED_PARAMS } from '../src/backend/upstream.js'
import { runCodex, startTrap } from './helpers/codex-bin.js'
import { codexBinary, codexHasBinaryForPlatform } from './helpers/clients.js'
import { servedGateway } from './helpers/gateway.js'
import { tempDir, type World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const RESPONSES = '/backend-api/codex/responses'

describe.skipIf(!codexHasBinaryForPlatform)('real codex exec through the gateway', () => {
  let w: World
  let trap: Awaited<ReturnType<typeof startTrap>>
  let gw: Record<string, any>
  let env: Record<string, string>
  let bin = ''

  beforeAll(async () => {
    bin = await codexBinary()
    trap = await startTrap()
    let key: string
    ;({ w, gw, key } = await servedGateway())
    const codexHome = join(tempDir('cco-codex-gw-'), 'codex-home')
    mkdirSync(codexHome, { recursive: true })
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        'check_for_update_on_startup = false',
        '[model_providers.cco]',
        'name = "chatgpt-codex-onboarding gateway"',
        `base_url = "${gw.url}"`,
        'wire_api = "responses"',
        'env_key = "CCO_GATEWAY_KEY"',
        '[analytics]',
        'enabled = false',
        '',
      ].join('\n'),
    )
    env = {
      HOME: w.env.HOME!,
      CODEX_HOME: codexHome,
      CCO_GATEWAY_KEY: key,
      HTTPS_PROXY: trap.url,
      HTTP_PROXY: trap.url,
      ALL_PROXY: trap.url,
      NO_PROXY: '127.0.0.1,localhost',
    }
    mkdirSync(env.HOME!, { recursive: true })
  })
  afterAll(async () => {
    await w?.cli(['serve', '--stop'])
    if (w) record(readFileSync(join(w.home, 'gateway.log'), 'utf8'))
    await w?.close()
    await trap?.close()
  })

  it('answers one prompt; its request reaches the backend with what codex sent', async () => {
    w.emu.set({ responses: { reply: 'text', text: 'GATEWAY-OK', mode: 'ok' } })
    const before = w.emu.requests.length
    // multi_agent_v2 puts its tools in a `namespace` tool, as 0.171 sends them.
    const r = await runCodex(
      bin,
      [
        'exec',
        '--skip-git-repo-check',
        '--disable',
        'apps',
        '--disable',
        'plugins',
        '--enable',
        'multi_agent_v2',
        '-c',
        'model_provider=cco',
        '-m',
        'gpt-5.5',
        'Reply with GATEWAY-OK',
      ],
      env,
      { timeoutMs: 90_000 },
    )
    record(r.stdout)
    record(r.stderr)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('GATEWAY-OK')

    const upstream = w.emu.requests.slice(before).filter((q) => q.path === RESPONSES)
    expect(upstream).toHaveLength(1)
    const body = upstream[0]!.body as Record<string, any>
    expect(body.model).toBe('gpt-5.5')
    expect(body.prompt_cache_key).toMatch(/^[0-9a-f-]{36}$/)
    expect(body.client_metadata).toMatchObject({ session_id: body.prompt_cache_key })
    const items = body.input as Record<string, unknown>[]
    expect(items.some((i) => i.role === 'user')).toBe(true)
    for (const i of items.filter((x) => x.type === 'message')) expect(i.id).toMatch(/^msg_/)
    const types = new Set((body.tools as { type: string }[]).map((t) => t.type))
    expect(types).toContain('namespace')
    expect(types).toContain('web_search')
    expect(body).toMatchObject({ store: false, stream: true })

    // The gateway named what it dropped: only parameters the backend refuses, none here.
    const lines = readFileSync(join(w.home, 'gateway.log'), 'utf8').trim().split('\n')
    const line = JSON.parse(lines.findLast((l) => l.includes('/v1/responses'))!)
    expect(line).toMatchObject({ status: 200, model: 'gpt-5.5' })
    for (const p of line.dropped ?? []) expect(REFUSED_PARAMS).toContain(p)
    expect(line.dropped ?? []).toEqual([])
    expect(trap.hits).toEqual([])
  }, 120_000)
})

leakScan('codex-gateway')
