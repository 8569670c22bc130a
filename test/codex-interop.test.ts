/**
 * Interop with the REAL Codex CLI 0.171.0 binary (`@openai/codex`, pinned in test/clients/) sharing one
 * auth.json with the skill (`CHATGPT_CODEX_STORE=codex`). Every codex call runs with CODEX_HOME
 * and HOME in temp dirs, a timeout, every endpoint on the loopback TLS emulator
 * (docs/codex-cli.md#test-recipes) and any other destination sent to a trap proxy that
 * refuses it; the trap must end the file with zero hits.
 */
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { world, tempDir, type World } from './helpers/harness.js'
import { codexBinary, codexHasBinaryForPlatform } from './helpers/clients.js'
import { codexConfig, makeTls, runCodex, startTrap, type CodexRun } from './helpers/codex-bin.js'
import { leakScan } from './helpers/leaks.js'

// Only a platform @openai/codex ships no binary for skips (saying so); elsewhere a failed install
// of test/clients fails the file with npm's reason.
if (!codexHasBinaryForPlatform)
  console.warn(
    `codex interop tests skipped: no @openai/codex binary for ${process.platform}-${process.arch}`,
  )

const authJson = (home: string) => JSON.parse(readFileSync(join(home, 'auth.json'), 'utf8'))
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')

/** Rewrites the access token's `exp` into the past (codex never checks signatures). */
function expireAccessToken(codexHome: string) {
  const j = authJson(codexHome)
  const [h, p, s] = String(j.tokens.access_token).split('.')
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
  claims.exp = Math.floor(Date.now() / 1000) - 600
  j.tokens.access_token = `${h}.${b64(claims)}.${s}`
  writeFileSync(join(codexHome, 'auth.json'), JSON.stringify(j, null, 2), { mode: 0o600 })
}

describe.skipIf(!codexHasBinaryForPlatform)(
  'real codex 0.171.0 shares auth.json with the skill',
  () => {
    let bin: string
    let tls: ReturnType<typeof makeTls>
    let trap: Awaited<ReturnType<typeof startTrap>>
    let w: World
    let codexHome: string
    let codexEnv: Record<string, string>
    const measured: Record<string, number[]> = {}

    const cx = async (name: string, args: string[], opts: Parameters<typeof runCodex>[3] = {}) => {
      const r: CodexRun = await runCodex(bin, args, codexEnv, opts)
      measured[name] = [...(measured[name] ?? []), r.ms]
      return r
    }
    const exec = () =>
      cx(
        'exec',
        ['exec', '--skip-git-repo-check', '--disable', 'apps', '--disable', 'plugins', 'hi'],
        {
          timeoutMs: 60_000,
        },
      )

    beforeAll(async () => {
      bin = await codexBinary()
      const root = tempDir('cco-interop-')
      tls = makeTls(join(root, 'tls'))
      trap = await startTrap()
      codexHome = join(root, 'codex-home')
      w = await world({
        emu: { tls: { key: readFileSync(tls.key, 'utf8'), cert: readFileSync(tls.cert, 'utf8') } },
        env: { CHATGPT_CODEX_STORE: 'codex', CODEX_HOME: codexHome, NODE_EXTRA_CA_CERTS: tls.ca },
      })
      mkdirSync(codexHome, { recursive: true })
      writeFileSync(join(codexHome, 'config.toml'), codexConfig(w.emu.backendUrl))
      codexEnv = {
        HOME: w.env.HOME!,
        CODEX_HOME: codexHome,
        CODEX_CA_CERTIFICATE: tls.ca,
        CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${w.emu.issuer}/oauth/token`,
        CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${w.emu.issuer}/oauth/revoke`,
        // Anything not on loopback goes to the trap, which records and refuses it.
        HTTPS_PROXY: trap.url,
        HTTP_PROXY: trap.url,
        ALL_PROXY: trap.url,
        NO_PROXY: '127.0.0.1,localhost',
      }
      mkdirSync(w.env.HOME!, { recursive: true })
      const v = await cx('version', ['--version'], { timeoutMs: 10_000 })
      expect(v.stdout.trim()).toBe('codex-cli 0.171.0')
    })
    afterAll(async () => {
      // eslint-disable-next-line no-console
      console.info(`codex interop wall times (ms): ${JSON.stringify(measured)}`)
      await w?.close()
      await trap?.close()
    })

    it('1. the skill signs in with the codex store; `codex login status` says Logged in using ChatGPT', async () => {
      await w.signIn()
      const j = authJson(codexHome)
      expect(j.auth_mode).toBe('chatgpt')
      expect(j.tokens.oauth_provenance.issuer).toBe(w.emu.issuer)
      expect(statSync(join(codexHome, 'auth.json')).mode & 0o777).toBe(0o600)
      const s = await cx('login status', ['login', 'status'], { timeoutMs: 15_000 })
      expect(s.stderr).toContain('Logged in using ChatGPT')
      expect(s.code).toBe(0)
    })

    it('2. `codex login --device-auth` signs in; the skill is connected and refreshes with zero reuse; codex fields survive', async () => {
      await w.cli(['logout'])
      w.emu.set({ interval: '1' })
      let approved = false
      const login = await cx(
        'login --device-auth',
        ['login', '--device-auth', '--experimental_issuer', w.emu.issuer],
        {
          timeoutMs: 60_000,
          onStdout: (out) => {
            if (!approved && /[A-Z0-9]{4}-[A-Z0-9]{4,5}/.test(out)) {
              approved = true
              w.emu.approve()
            }
          },
        },
      )
      expect(login.stderr).toContain('Successfully logged in')
      expect(login.code).toBe(0)
      const codexWrote = authJson(codexHome)
      expect(codexWrote.tokens.login_owner_id).toEqual(expect.any(String))

      const st = await w.cli(['status'])
      expect(st.json).toMatchObject({
        ok: true,
        status: 'connected',
        account: { email: w.emu.account.email },
      })
      const reuse = w.emu.stats.reuse
      const r = await w.cli(['refresh'])
      expect(r.json).toMatchObject({ ok: true, refreshed: true })
      expect(w.emu.stats.reuse).toBe(reuse)
      expect(w.emu.stats.reuse).toBe(0)

      const after = authJson(codexHome)
      expect(after.tokens.refresh_token).not.toBe(codexWrote.tokens.refresh_token)
      expect(after.tokens.oauth_provenance).toEqual(codexWrote.tokens.oauth_provenance)
      expect(after.tokens.login_owner_id).toBe(codexWrote.tokens.login_owner_id)
      const s = await cx('login status', ['login', 'status'], { timeoutMs: 15_000 })
      expect(s.stderr).toContain('Logged in using ChatGPT')
      expect(s.code).toBe(0)
    })

    it('3. codex refreshes an expired token (codex exec); the skill uses the rotated token, and vice versa, never reused', async () => {
      expireAccessToken(codexHome)
      const refreshesBefore = w.emu.count('POST /oauth/token')
      const rtBefore = authJson(codexHome).tokens.refresh_token
      const e1 = await exec()
      expect(e1.code, e1.stderr).toBe(0)
      expect(w.emu.count('POST /oauth/token')).toBe(refreshesBefore + 1)
      const grant = w.emu.requests.filter((q) => q.path === '/oauth/token').at(-1)
      expect(grant?.body).toMatchObject({
        grant_type: 'refresh_token',
        refresh_reason: 'proactive_expiry',
      })
      const codexRotated = authJson(codexHome).tokens
      expect(codexRotated.refresh_token).not.toBe(rtBefore)

      // The skill picks up codex's rotation: status sees a fresh token, refresh uses codex's rt.
      const st = await w.cli(['status'])
      expect(st.json).toMatchObject({
        ok: true,
        status: 'connected',
        will_refresh_on_next_use: false,
      })
      const r = await w.cli(['refresh'])
      expect(r.json).toMatchObject({ ok: true, refreshed: true })
      expect(w.emu.stats.reuse).toBe(0)

      // Vice versa: codex uses the skill's rotated tokens, and refreshes with the skill's rt.
      const skillRotated = authJson(codexHome).tokens
      expect(skillRotated.refresh_token).not.toBe(codexRotated.refresh_token)
      const e2 = await exec()
      expect(e2.code, e2.stderr).toBe(0)
      const turn = w.emu.requests
        .filter((q) => q.method === 'POST' && q.path.endsWith('/codex/responses'))
        .at(-1)
      expect(turn?.headers.authorization).toBe(`Bearer ${skillRotated.access_token}`)
      expireAccessToken(codexHome)
      const e3 = await exec()
      expect(e3.code, e3.stderr).toBe(0)
      expect(authJson(codexHome).tokens.refresh_token).not.toBe(skillRotated.refresh_token)
      expect(w.emu.stats.reuse).toBe(0)
    })

    it('4. `codex logout` revokes at the emulator; the skill reports disconnected', async () => {
      const revokes = w.emu.count('POST /oauth/revoke')
      const out = await cx('logout', ['logout'], { timeoutMs: 20_000 })
      expect(out.stderr + out.stdout).toContain('Successfully logged out')
      expect(w.emu.count('POST /oauth/revoke')).toBe(revokes + 1)
      const st = await w.cli(['status'])
      expect(st.json).toMatchObject({ ok: true, status: 'disconnected' })
    })

    it('5. an API-key codex login is reported as such and never overwritten by a skill sign-in', async () => {
      const key = 'sk-test-interop-key-0123456789'
      const saved = await cx('login --with-api-key', ['login', '--with-api-key'], {
        input: `${key}\n`,
        timeoutMs: 15_000,
      })
      expect(saved.code).toBe(0)
      const before = readFileSync(join(codexHome, 'auth.json'), 'utf8')
      const st = await w.cli(['status'])
      expect(st.json).toMatchObject({ ok: false, code: 'codex_api_key_mode' })
      expect(st.json.error).toContain('using an API key')
      expect(st.stdout).not.toContain(key)
      // A forced skill sign-in reaches the write, which refuses the API-key file.
      w.emu.set({ interval: '0' })
      expect((await w.cli(['start', '--force'])).json).toMatchObject({
        ok: true,
        status: 'pending',
      })
      w.emu.approve()
      expect((await w.cli(['poll'])).json).toMatchObject({ ok: false, code: 'codex_api_key_mode' })
      expect(readFileSync(join(codexHome, 'auth.json'), 'utf8')).toBe(before)
      const s = await cx('login status', ['login', 'status'], { timeoutMs: 15_000 })
      expect(s.stderr).toContain('API key configured')
    })

    it('sent nothing anywhere but the loopback emulator', () => {
      expect(trap.hits).toEqual([])
    })
  },
)

leakScan(import.meta.url)
