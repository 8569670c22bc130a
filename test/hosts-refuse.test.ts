/**
 * Issue 17 part 4: a host-file write that would break the host, or a host file we do not
 * understand, leaves the file byte-identical (no backup, no temp file) and is reported with the
 * stable code `host_config_unrecognized`, never a half-merged file.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { ERROR_CODES } from '../src/result.js'
import { planUpdate, updateHostFile, UNRECOGNIZED } from '../src/host/host-file.js'
import { onSignedOut } from '../src/host/index.js'
import { OPENCLAW_PROVIDER_ID, syncOpenclaw } from '../src/host/openclaw.js'
import { PI_PROVIDER_ID, piModelsPath, syncPi } from '../src/host/pi.js'
import { HOST_MODELS } from './helpers/state.js'

const MODELS = HOST_MODELS.slice(0, 1)

function setup(hosts = 'pi,openclaw') {
  const root = mkdtempSync(join(tmpdir(), 'cco-refuse-'))
  const ctx = createContext({
    HOME: join(root, 'home'),
    CHATGPT_CODEX_HOME: join(root, 'state'),
    CHATGPT_CODEX_HOSTS: hosts,
    PI_CODING_AGENT_DIR: join(root, 'pi'),
    OPENCLAW_CONFIG_PATH: join(root, 'openclaw', 'openclaw.json'),
    CHATGPT_CODEX_BACKEND_URL: 'http://127.0.0.1:9/backend-api',
  })
  return { root, ctx, oc: ctx.config.openclawConfigPath, pi: piModelsPath(ctx) }
}

/** Writes `text` at `path`, runs `fn`, and asserts the file is byte-identical, alone in its dir. */
async function refused(path: string, text: string, fn: () => Promise<unknown>, why: RegExp) {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
  const r = await fn()
  expect(r).toMatchObject({
    path,
    action: 'skipped',
    code: UNRECOGNIZED,
    reason: expect.stringMatching(why),
  })
  expect(readFileSync(path, 'utf8')).toBe(text)
  expect(readdirSync(dirname(path))).toEqual([path.split('/').pop()])
}

const LEGACY_OPENCLAW = {
  gateway: { mode: 'local' },
  models: {
    providers: {
      [OPENCLAW_PROVIDER_ID]: {
        baseUrl: 'http://127.0.0.1:9/backend-api',
        api: 'openai-codex-responses',
        apiKey: { source: 'exec', provider: OPENCLAW_PROVIDER_ID, id: 'token' },
        models: [{ id: 'gpt-5.5', name: 'GPT-5.5' }],
      },
    },
  },
  secrets: {
    providers: {
      [OPENCLAW_PROVIDER_ID]: {
        source: 'exec',
        command: '/usr/bin/env',
        args: [
          'CHATGPT_CODEX_HOME=/x',
          '/usr/bin/node',
          '/x/dist/cli.cjs',
          'token',
          '--format',
          'openclaw-exec',
        ],
        passEnv: ['HOME', 'PATH'],
        jsonOnly: true,
      },
    },
  },
}

describe('host_config_unrecognized', () => {
  it('is in the closed ErrorCode set', () => {
    expect(ERROR_CODES).toContain(UNRECOGNIZED)
  })

  it('OpenClaw: a file of the wrong shape is left byte-identical, on sign-in and on logout', async () => {
    const { ctx, oc } = setup()
    const add = () => syncOpenclaw(ctx, MODELS)
    const remove = () => syncOpenclaw(ctx, null)
    await refused(oc, '// mine\n{ gateway: { mode: "local" } }\n', add, /not plain JSON/)
    await refused(oc, '[1, 2]\n', add, /not hold a JSON object/)
    await refused(
      oc,
      '{"models": {"providers": "none"}}\n',
      add,
      /"models.providers" is not an object/,
    )
    await refused(oc, '{"models": []}\n', add, /"models" is not an object/)
    await refused(
      oc,
      '{"secrets": {"providers": 3}}\n',
      add,
      /"secrets.providers" is not an object/,
    )
    await refused(oc, '{"port": 12345678901234567890}\n', add, /the number 12345678901234567890/)
    // The user's own provider under our id: neither replaced nor removed.
    const mine = JSON.stringify({
      models: {
        providers: {
          [OPENCLAW_PROVIDER_ID]: { baseUrl: 'http://x/v1', apiKey: 'sk-mine', models: [] },
        },
      },
    })
    await refused(oc, mine, add, /not an entry this tool wrote/)
    await refused(oc, mine, remove, /not an entry this tool wrote/)
    const secret = JSON.stringify({
      secrets: { providers: { [OPENCLAW_PROVIDER_ID]: { source: 'env' } } },
    })
    await refused(oc, secret, add, /"secrets.providers.chatgpt-codex" is not an entry/)
  })

  it('OpenClaw: the entry an older version wrote (removed api id) is recognised and rewritten', async () => {
    const { ctx, oc } = setup()
    mkdirSync(dirname(oc), { recursive: true })
    writeFileSync(oc, JSON.stringify(LEGACY_OPENCLAW, null, 2))
    expect(await syncOpenclaw(ctx, MODELS)).toMatchObject({ action: 'written' })
    const doc = JSON.parse(readFileSync(oc, 'utf8'))
    expect(doc.models.providers[OPENCLAW_PROVIDER_ID].api).toBe('openai-chatgpt-responses')
    expect(doc.secrets.providers[OPENCLAW_PROVIDER_ID].env.CHATGPT_CODEX_HOME).toBe(ctx.config.home)
    expect(doc.gateway).toEqual({ mode: 'local' })
  })

  it('pi: a non-object providers or a provider we did not write is left byte-identical', async () => {
    const { ctx, pi } = setup()
    const add = () => syncPi(ctx, MODELS)
    await refused(pi, '{"providers": ["x"]}\n', add, /"providers" is not an object/)
    const mine = JSON.stringify({
      providers: { [PI_PROVIDER_ID]: { baseUrl: 'http://x', apiKey: 'sk-mine' } },
    })
    await refused(pi, mine, add, /not an entry this tool wrote/)
    await refused(pi, mine, () => syncPi(ctx, null), /not an entry this tool wrote/)
  })

  it('a result that would not read back as written is refused (NaN, Infinity, BigInt)', () => {
    for (const bad of [NaN, Infinity, 10n]) {
      const plan = planUpdate('{"a": 1}', (doc) => ((doc.x = bad), true))
      expect(plan).toEqual({ skip: expect.stringMatching(/read back|cannot be written/) })
    }
    expect(planUpdate('{"a": 1}', (doc) => ((doc.x = 2), true))).toEqual({
      next: '{\n  "a": 1,\n  "x": 2\n}\n',
    })
  })

  it('a file changed between our read and our write is read again; one that keeps changing is left', async () => {
    const { ctx, root } = setup()
    const path = join(root, 'host.json')
    writeFileSync(path, '{"a": 1}')
    let calls = 0
    const r = await updateHostFile(ctx, path, true, (doc) => {
      // The host writes its file while we merge (once).
      if (calls++ === 0) writeFileSync(path, '{"a": 1, "host": "wrote this"}')
      doc.ours = true
      return true
    })
    expect(r.action).toBe('written')
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: 1, host: 'wrote this', ours: true })

    writeFileSync(path, '{"n": 0}')
    let n = 0
    const text = () => `{"n": ${++n}}`
    const r2 = await updateHostFile(ctx, path, true, (doc) => {
      writeFileSync(path, text())
      doc.ours = true
      return true
    })
    expect(r2).toMatchObject({ action: 'skipped', code: UNRECOGNIZED, reason: /kept changing/ })
    expect(readFileSync(path, 'utf8')).toBe(`{"n": ${n}}`)
  })

  it('publish reports a refused host in warnings, code first', async () => {
    const { ctx, oc } = setup('openclaw')
    mkdirSync(dirname(oc), { recursive: true })
    writeFileSync(oc, '{"models": {"providers": "none"}}')
    const report = await onSignedOut(ctx)
    expect(report.hosts?.openclaw).toMatchObject({ action: 'skipped', code: UNRECOGNIZED })
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^openclaw: host_config_unrecognized: .*openclaw\.json not updated: "models.providers" is not an object/,
      ),
    ])
    expect(existsSync(`${oc}.bak`)).toBe(false)
  })
})
