/**
 * Issue 16, the gateway's part of items 4 and 7: every wait is bounded (a stalled upstream
 * stream ends with a coded `timeout`, a request behind the full upstream pool gets a coded 503)
 * and the smaller cases get coded errors. Real `serve` processes against the emulator.
 */
import { connect } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { figure } from './helpers/figures.js'
import { servedGateway } from './helpers/gateway.js'
import type { World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const RESPONSES = 'POST /backend-api/codex/responses'
const worlds: World[] = []

async function gateway(env: Record<string, string>) {
  const served = await servedGateway(env)
  worlds.push(served.w)
  return served
}

afterAll(async () => {
  for (const w of worlds) {
    await w.cli(['serve', '--stop'])
    await w.close()
  }
})

const chat = (stream: boolean) => ({
  model: 'gpt-5.5',
  messages: [{ role: 'user', content: 'Hi' }],
  stream,
})

describe('a stalled upstream (idle bound 1 s)', () => {
  it('ends streams with a coded timeout, a non-streamed answer with 504, and frees the slot', async () => {
    const { w, post } = await gateway({ CHATGPT_CODEX_STREAM_IDLE_MS: '1000' })
    w.emu.set({ responses: { reply: 'text', mode: 'stall' } })
    const t0 = Date.now()
    const streamed = await (await post('/chat/completions', chat(true))).text()
    expect(Date.now() - t0).toBeLessThan(4_000)
    expect(streamed).toContain('"code":"timeout"')
    expect(streamed).not.toContain('[DONE]')
    const resp = await (
      await post('/responses', { model: 'gpt-5.5', input: 'Hi', stream: true })
    ).text()
    expect(resp).toMatch(/event: error\ndata: .*"code":"timeout"/)
    const plain = await post('/chat/completions', chat(false))
    expect(plain.status).toBe(504)
    const body = await plain.text()
    expect(JSON.parse(body).error).toMatchObject({ code: 'timeout' })
    for (const t of [streamed, resp, body]) record(t)
    // The slots were released: the next answer is a normal one.
    w.emu.set({ responses: { reply: 'text', text: 'OK', mode: 'ok' } })
    expect((await post('/chat/completions', chat(false))).status).toBe(200)
    figure('stall', { gateway_timeouts: 3 })
  })

  it('codes a cut non-streamed answer as a 502, never a 500', async () => {
    const { w, post } = await gateway({})
    w.emu.set({ responses: { reply: 'text', text: 'A longer answer', mode: 'cut' } })
    const res = await post('/chat/completions', chat(false))
    const text = await res.text()
    record(text)
    expect(res.status).toBe(502)
    expect(['upstream_error', 'network_error']).toContain(JSON.parse(text).error.code)
  })
})

describe('the upstream pool', () => {
  it('answers a request behind 64 stalled streams with a coded 503 after the bound', async () => {
    const { w, post } = await gateway({
      CHATGPT_CODEX_STREAM_IDLE_MS: '60000',
      CHATGPT_CODEX_TIMEOUT_MS: '1000',
    })
    w.emu.set({ responses: { reply: 'text', mode: 'stall' } })
    const before = w.emu.count(RESPONSES)
    const abort = new AbortController()
    const held = Array.from({ length: 64 }, () =>
      post('/chat/completions', chat(true), { signal: abort.signal }).catch(() => undefined),
    )
    await Promise.all(held)
    while (w.emu.count(RESPONSES) < before + 64) await new Promise((r) => setTimeout(r, 20))
    const t0 = Date.now()
    const res = await post('/chat/completions', chat(true))
    const waited = Date.now() - t0
    const text = await res.text()
    record(text)
    expect(res.status).toBe(503)
    expect(JSON.parse(text).error).toMatchObject({ code: 'upstream_busy' })
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(waited).toBeLessThan(5_000)
    expect(w.emu.count(RESPONSES)).toBe(before + 64) // nothing was sent for it
    abort.abort() // the clients leave: their upstreams close and the slots free up
    w.emu.set({ responses: { reply: 'text', text: 'OK', mode: 'ok' } })
    await new Promise((r) => setTimeout(r, 200))
    expect((await post('/chat/completions', chat(false))).status).toBe(200)
    figure('stall', { pool_wait_ms: waited, pool_503: 1 })
  })
})

/** A raw request: headers, then `body` written in 1 MiB pieces; resolves with what came back. */
function rawPost(port: number, head: string, body: (write: (b: Buffer) => boolean) => void) {
  return new Promise<string>((resolve) => {
    const sock = connect(port, '127.0.0.1')
    let text = ''
    sock.on('data', (d) => (text += d))
    sock.on('close', () => resolve(text))
    sock.on('error', () => {}) // a reset shows as a missing answer, which the test checks
    sock.write(head)
    body((b) => sock.write(b))
  })
}

describe('request bodies', () => {
  it('refuses deep nesting and a CRLF key with a 400 before any upstream request', async () => {
    const { w, post } = await gateway({})
    const before = w.emu.count(RESPONSES)
    const deep = `${'{"a":'.repeat(5000)}{}${'}'.repeat(5000)}`
    const nested = await post(
      '/chat/completions',
      `{"model":"gpt-5.5","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`,
    )
    const crlf = await post('/chat/completions', { ...chat(false), 'x\r\nSet-Cookie: a': 1 })
    for (const r of [nested, crlf]) {
      const text = await r.text()
      record(text)
      expect(r.status).toBe(400)
      expect(JSON.parse(text).error.code).toBe('invalid_request_body')
    }
    expect(w.emu.count(RESPONSES)).toBe(before)
  })

  it('answers a 50 MB chunked body, and 10 bodies over the Content-Length cap, with a readable 413', async () => {
    const { gw, key } = await gateway({})
    const head = (extra: string) =>
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n` +
      `Authorization: Bearer ${key}\r\nContent-Type: application/json\r\n${extra}\r\n`
    const mib = Buffer.alloc(1024 * 1024, 32)
    const chunked = await rawPost(gw.port, head('Transfer-Encoding: chunked\r\n'), (write) => {
      for (let i = 0; i < 50; i++)
        write(Buffer.concat([Buffer.from('100000\r\n'), mib, Buffer.from('\r\n')]))
      write(Buffer.from('0\r\n\r\n'))
    })
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /)
    expect(chunked).toContain('"code":"request_too_large"')
    let answered = 0
    for (let i = 0; i < 10; i++) {
      const size = 21 * 1024 * 1024
      const text = await rawPost(gw.port, head(`Content-Length: ${size}\r\n`), (write) => {
        for (let n = 0; n < 21; n++) write(mib)
      })
      if (/^HTTP\/1\.1 413 /.test(text) && text.includes('request_too_large')) answered++
    }
    expect(answered).toBe(10)
    figure('body_413', { tries: 11, answered: answered + 1, resets: 10 - answered })
  })
})

leakScan(import.meta.url)
