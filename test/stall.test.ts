/**
 * Issue 16, item 4 (the parts below the gateway): a stream that stops sending is timed out.
 * The emulator's `stall` mode sends `response.created` and `response.in_progress`, then holds
 * the connection open with nothing more.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_STREAM_IDLE_MS, open, streamError } from '../src/http.js'
import { loadConfig } from '../src/config.js'
import { figure } from './helpers/figures.js'
import { world, type World } from './helpers/harness.js'
import { leakScan } from './helpers/leaks.js'

let w: World
afterAll(async () => {
  await w?.close()
})

describe('a stalled upstream stream', () => {
  it('verify ends with a coded timeout within its timeout (real process, stalled emulator)', async () => {
    w = await world({ env: { CHATGPT_CODEX_TIMEOUT_MS: '2000' } })
    await w.signIn()
    w.emu.set({ responses: { reply: 'text', mode: 'stall' } })
    const t0 = Date.now()
    const v = await w.cli(['verify'])
    const ms = Date.now() - t0
    expect(v.json, v.stdout).toMatchObject({ ok: false, code: 'timeout', retryable: true })
    expect(v.json.error).toMatch(/sent nothing for 2000 ms/)
    // 2 s of silence plus a process start; far from the hang of issue 16 (> 60 s).
    expect(ms).toBeLessThan(8_000)
    expect(v.code).toBe(1)
    figure('stall', { verify_timeout_ms: 2000, verify_ended_after_ms: ms })
  }, 30_000)

  it('http open(): idleTimeoutMs bounds every silence of the body; streamError codes it timeout', async () => {
    w.emu.set({ responses: { reply: 'text', mode: 'stall' } })
    const creds = JSON.parse(readFileSync(join(w.home, 'credentials.json'), 'utf8'))
    const res = await open({
      method: 'POST',
      url: `${w.emu.backendUrl}/codex/responses`,
      headers: {
        authorization: `Bearer ${creds.tokens.access_token}`,
        'chatgpt-account-id': creds.tokens.account_id,
      },
      json: { model: 'gpt-6-sol', stream: true, store: false, instructions: 'x', input: [] },
      timeoutMs: 2_000,
      idleTimeoutMs: 400,
    })
    expect(res.status).toBe(200)
    const t0 = Date.now()
    let caught: unknown
    try {
      for await (const _ of res.body) void _
    } catch (err) {
      caught = err
    }
    const f = streamError(caught, 'The stream', 400)
    expect(f.code).toBe('timeout')
    expect(Date.now() - t0).toBeLessThan(3_000)
  }, 30_000)

  it('the idle bound is configurable, validated, and 5 minutes by default', () => {
    expect(DEFAULT_STREAM_IDLE_MS).toBe(300_000)
    expect(loadConfig({}).streamIdleMs).toBe(300_000)
    expect(loadConfig({ CHATGPT_CODEX_STREAM_IDLE_MS: '60000' }).streamIdleMs).toBe(60_000)
    expect(() => loadConfig({ CHATGPT_CODEX_STREAM_IDLE_MS: '5' })).toThrow(/at least 1000/)
  })
})

leakScan(import.meta.url)
