/**
 * Issue 10 end to end: `verify` and the `serve` gateway as real processes against the emulator,
 * with the official `openai` SDK as the client.
 */
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { servedGateway, type ServedGateway } from './helpers/gateway.js'
import type { World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const RESPONSES = 'POST /backend-api/codex/responses'

let w: World
let gw: Record<string, any>
let key = ''
let client: OpenAI
/** A raw POST with the local key, for what the SDK would not send or would not show. */
let post: ServedGateway['post']

beforeAll(async () => {
  ;({ w, gw, key, post } = await servedGateway())
  client = new OpenAI({ apiKey: key, baseURL: gw.url, maxRetries: 0 })
})

afterAll(async () => {
  await w.cli(['serve', '--stop'])
  const log = readFileSync(join(w.home, 'gateway.log'), 'utf8')
  record(log)
  await w.close()
})

describe('verify', () => {
  it('makes exactly one responses request with the backend headers and body', async () => {
    const before = w.emu.count(RESPONSES)
    const v = await w.cli(['verify'])
    expect(v.json).toMatchObject({ ok: true, output_text: 'OK' })
    expect(v.json.usage.input_tokens).toBeGreaterThan(0)
    expect(v.json.usage.output_tokens).toBeGreaterThan(0)
    expect(v.json.model).toMatch(/^openai-codex\//)
    expect(w.emu.count(RESPONSES)).toBe(before + 1)
    const req = w.emu.requests.findLast((r) => r.path === '/backend-api/codex/responses')!
    expect(req.headers['chatgpt-account-id']).toBe(w.emu.account.account_id)
    expect(req.headers.originator).toBeTruthy()
    expect(req.headers.accept).toBe('text/event-stream')
    expect(req.headers['session-id']).toMatch(/[0-9a-f-]{36}/)
    expect(req.body).toMatchObject({
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
    })
    expect(String((req.body as any).instructions)).toContain('emulator')
  })

  it('reports usage_limit_reached with resets_at', async () => {
    w.emu.set({ responses: { reply: 'text', mode: 'usage_limit' } })
    const v = await w.cli(['verify'])
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
    expect(v.json).toMatchObject({ ok: false, code: 'usage_limit_reached', plan: 'pro' })
    expect(v.json.resets_at).toMatch(/^\d{4}-/)
  })

  it('refuses an unknown model before any request', async () => {
    const before = w.emu.count(RESPONSES)
    const v = await w.cli(['verify', '--model', 'gpt-nope'])
    expect(v.json).toMatchObject({ ok: false, code: 'model_not_available' })
    expect(w.emu.count(RESPONSES)).toBe(before)
  })
})

describe('gateway with the openai SDK', () => {
  it('lists the visible catalog', async () => {
    const list = await client.models.list()
    const ids = list.data.map((m) => m.id)
    record(list.data)
    expect(ids).toContain('gpt-5.5')
    expect(ids).not.toContain('gpt-6-internal-preview')
  })

  it('responses.create, not streaming and streaming, even when completed has output: []', async () => {
    w.emu.set({ responses: { reply: 'empty-output', text: 'Hello there', mode: 'ok' } })
    const r = await client.responses.create({
      model: 'openai-codex/gpt-5.5',
      input: 'Hi',
      temperature: 0.2,
    } as any)
    record(r)
    expect(r.output_text).toBe('Hello there')
    expect(r.object).toBe('response')
    expect((r.output[0] as any).content[0].annotations).toEqual([])
    expect(typeof r.usage?.output_tokens).toBe('number')
    const body = w.emu.requests.findLast((q) => q.path === '/backend-api/codex/responses')!
      .body as any
    expect(body.temperature).toBeUndefined()
    const stream = await client.responses.create({
      model: 'gpt-5.5',
      input: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Hi' },
      ],
      stream: true,
    })
    let text = ''
    let completed: any
    for await (const ev of stream) {
      record(ev)
      if (ev.type === 'response.output_text.delta') text += ev.delta
      if (ev.type === 'response.completed') completed = ev.response
    }
    expect(text).toBe('Hello there')
    expect(completed.output.length).toBeGreaterThan(0)
    const sent = w.emu.requests.findLast((q) => q.path === '/backend-api/codex/responses')!
      .body as any
    expect(sent.input[0].role).toBe('developer')
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('names dropped parameters in a response header', async () => {
    const res = await post('/chat/completions', {
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 1,
      max_tokens: 5,
    })
    expect(res.headers.get('x-gateway-dropped-params')).toBe('max_tokens,temperature')
    expect(res.headers.get('x-codex-primary-used-percent')).toBe('12.0')
    record(await res.text())
  })

  it('sends the system and developer messages first, in their order, as developer messages', async () => {
    const c = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'U1' },
        { role: 'system', content: 'S1' },
        { role: 'assistant', content: 'A1' },
        { role: 'developer', content: 'D1' },
        { role: 'user', content: 'U2' },
      ],
    })
    record(c)
    const sent = w.emu.requests.findLast((r) => r.path === '/backend-api/codex/responses')!
    const input = (sent.body as any).input as any[]
    expect(input.map((i) => [i.role, i.content[0].text])).toEqual([
      ['developer', 'S1'],
      ['developer', 'D1'],
      ['user', 'U1'],
      ['assistant', 'A1'],
      ['user', 'U2'],
    ])
  })

  it('refuses a malformed body with a 400 naming the field; nothing goes upstream', async () => {
    const before = w.emu.count(RESPONSES)
    const err: any = await client.chat.completions
      .create({ model: 'gpt-5.5', messages: [{ role: 'wizard', content: 'x' }] as any })
      .catch((e) => e)
    record(err.error)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_request_body',
      param: 'messages[0].role',
    })
    await expect(
      client.responses.create({ model: 'gpt-5.5', input: 42 as any }),
    ).rejects.toMatchObject({ status: 400, error: { param: 'input' } })
    const notJson = await post('/responses', '{"model":')
    expect(notJson.status).toBe(400)
    expect(await notJson.json()).toMatchObject({ error: { code: 'invalid_json' } })
    expect(w.emu.count(RESPONSES)).toBe(before)
  })

  it('chat.completions.create, not streaming and streaming with usage', async () => {
    const c = await client.chat.completions.create({
      model: 'openai-codex/gpt-5.5',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Hi' },
      ],
      reasoning_effort: 'low',
      response_format: { type: 'json_object' },
    })
    record(c)
    expect(c.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'OK' })
    expect(c.choices[0]!.finish_reason).toBe('stop')
    expect(c.usage!.prompt_tokens).toBeGreaterThan(0)
    expect(c.usage!.total_tokens).toBe(c.usage!.prompt_tokens + c.usage!.completion_tokens)
    const sent = w.emu.requests.findLast((q) => q.path === '/backend-api/codex/responses')!
      .body as any
    expect(sent.reasoning.effort).toBe('low')
    expect(sent.text.format).toEqual({ type: 'json_object' })
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: any[] = []
    for await (const ch of stream) chunks.push(ch)
    record(chunks)
    expect(chunks[0].choices[0].delta.role).toBe('assistant')
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('OK')
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop')
    expect(chunks.at(-1).choices).toEqual([])
    expect(chunks.at(-1).usage.total_tokens).toBeGreaterThan(0)
  })

  it('round-trips a tool call through chat completions', async () => {
    w.emu.set({ responses: { reply: 'tool_call', mode: 'ok' } })
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]
    const first = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: 'auto',
      parallel_tool_calls: false,
    })
    record(first)
    const call = first.choices[0]!.message.tool_calls![0] as any
    expect(first.choices[0]!.finish_reason).toBe('tool_calls')
    expect(call).toMatchObject({
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    })
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools,
      stream: true,
    })
    const deltas: any[] = []
    for await (const ch of stream) deltas.push(ch)
    record(deltas)
    const firstTool = deltas.find((d) => d.choices[0]?.delta?.tool_calls)!.choices[0].delta
      .tool_calls[0]
    expect(firstTool).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'get_weather' },
    })
    expect(firstTool.id).toMatch(/^call_/)
    expect(deltas.at(-1).choices[0].finish_reason).toBe('tool_calls')
    w.emu.set({ responses: { reply: 'text', text: 'Sunny', mode: 'ok' } })
    const second = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' },
      ],
      tools,
    })
    record(second)
    expect(second.choices[0]!.message.content).toBe('Sunny')
    const sent = w.emu.requests.findLast((q) => q.path === '/backend-api/codex/responses')!
      .body as any
    expect(sent.input.map((i: any) => i.type)).toEqual([
      'message',
      'function_call',
      'function_call_output',
    ])
    expect(sent.input[1].call_id).toBe(call.id)
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('reasoning summaries come out as reasoning_content, streaming and not', async () => {
    w.emu.set({ responses: { reply: 'reasoning', text: 'Done', mode: 'ok' } })
    const c = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Think' }],
      reasoning_effort: 'high',
    })
    record(c)
    expect(c.choices[0]!.message).toMatchObject({
      content: 'Done',
      reasoning_content: expect.stringContaining('Considering'),
    })
    const stream = await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Think' }],
      stream: true,
    })
    const chunks: any[] = []
    for await (const ch of stream) chunks.push(ch)
    record(chunks)
    expect(chunks.map((ch) => ch.choices[0]?.delta?.reasoning_content ?? '').join('')).toContain(
      'Considering',
    )
    expect(chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('')).toBe('Done')
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('logs one JSON line per request: model, statuses, latency, dropped; never a prompt or the key', async () => {
    await client.chat.completions.create({
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'SECRET-PROMPT-42' }],
      seed: 7,
    } as any)
    let line: any
    for (let i = 0; i < 40 && !line; i++) {
      const lines = readFileSync(join(w.home, 'gateway.log'), 'utf8').trim().split('\n')
      line = lines
        .map((l) => JSON.parse(l))
        .findLast((l) => l.path === '/v1/chat/completions' && l.dropped?.includes('seed'))
      if (!line) await new Promise((r) => setTimeout(r, 50))
    }
    expect(line).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'gpt-5.5',
      status: 200,
      upstream_status: 200,
      dropped: ['seed'],
    })
    expect(typeof line.latency_ms).toBe('number')
    const log = readFileSync(join(w.home, 'gateway.log'), 'utf8')
    expect(log).not.toContain('SECRET-PROMPT-42')
    expect(log).not.toContain(key)
  })

  it('maps errors to OpenAI shapes the SDK raises', async () => {
    await expect(
      client.chat.completions.create({
        model: 'gpt-nope',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 404 })
    w.emu.set({ responses: { reply: 'text', mode: 'usage_limit' } })
    const err: any = await client.chat.completions
      .create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    record(err.error)
    expect(err.status).toBe(429)
    expect(err.error).toMatchObject({ code: 'usage_limit_reached' })
    expect(err.error.resets_at).toMatch(/^\d{4}-/)
    expect(err.headers.get('retry-after')).toMatch(/^\d+$/)
    w.emu.set({ responses: { reply: 'text', mode: 'error500' } })
    await expect(client.responses.create({ model: 'gpt-5.5', input: 'x' })).rejects.toMatchObject({
      status: 502,
    })
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })
})

function rawRequest(opts: {
  headers: Record<string, string>
  body?: Buffer | string
  path?: string
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: '127.0.0.1',
        port: gw.port,
        method: opts.body ? 'POST' : 'GET',
        path: opts.path ?? '/v1/models',
        headers: opts.headers,
      },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    r.on('error', reject)
    r.end(opts.body)
  })
}

describe('gateway refusals and streams', () => {
  it('refuses no key, a wrong key, a foreign Host and an oversized body; sends no CORS', async () => {
    const none = await rawRequest({ headers: {} })
    expect(none.status).toBe(401)
    const wrong = await rawRequest({ headers: { authorization: `Bearer ${'0'.repeat(64)}` } })
    expect(wrong.status).toBe(401)
    const host = await rawRequest({
      headers: { authorization: `Bearer ${key}`, host: 'evil.example.com' },
    })
    expect(host.status).toBe(421)
    const big = await rawRequest({
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: Buffer.alloc(21 * 1024 * 1024, 32),
    }).catch(() => ({ status: 413, body: '' }))
    expect(big.status).toBe(413)
    const cors = await fetch(`${gw.url}/models`, {
      headers: { authorization: `Bearer ${key}`, origin: 'http://evil.example.com' },
    })
    expect(cors.headers.get('access-control-allow-origin')).toBeNull()
    for (const r of [none, wrong, host, big]) record(r.body)
  })

  it('answers a malformed request target with a 400 and keeps serving (issue 16)', async () => {
    // Sent raw: clients normalise these away. `//...` is no valid relative URL, and parsing it
    // once threw in the request handler and ended the process.
    const send = (target: string, auth: boolean) =>
      new Promise<string>((resolve, reject) => {
        const sock = connect(gw.port, '127.0.0.1')
        let text = ''
        sock.on('data', (d) => (text += d))
        sock.on('end', () => resolve(text))
        sock.on('error', reject)
        sock.write(
          `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\n` +
            (auth ? `Authorization: Bearer ${key}\r\n` : '') +
            'Connection: close\r\n\r\n',
        )
      })
    for (const target of ['//', '///', '//:99999/', '//a%20b/']) {
      for (const auth of [true, false]) {
        const text = await send(target, auth)
        expect(text, `${target} auth=${auth}`).toMatch(/^HTTP\/1\.1 400 /)
        expect(text).toContain('"code":"invalid_request_target"')
        record(text)
      }
    }
    const models = await fetch(`${gw.url}/models`, { headers: { authorization: `Bearer ${key}` } })
    expect(models.status).toBe(200)
  })

  it('ends a cut upstream stream with an error, never a clean [DONE]', async () => {
    w.emu.set({ responses: { reply: 'text', text: 'A longer answer', mode: 'cut' } })
    const res = await post('/chat/completions', {
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    })
    const text = await res.text()
    record(text)
    // Cut after the first delta: the stream ends with an explicit error event.
    expect(text).toContain('"role":"assistant"')
    expect(text).toContain('stream_interrupted')
    expect(text).not.toContain('[DONE]')
    const stream = await client.responses.create({ model: 'gpt-5.5', input: 'x', stream: true })
    await expect(
      (async () => {
        for await (const _ of stream) void _
      })(),
    ).rejects.toThrow()
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('aborts the upstream request when the client disconnects', async () => {
    w.emu.set({
      responses: { reply: 'text', text: 'one two three four', mode: 'slow', slowMs: 300 },
    })
    const before = w.emu.stats.aborted
    const ac = new AbortController()
    const res = await post(
      '/responses',
      { model: 'gpt-5.5', input: 'Hi', stream: true },
      { signal: ac.signal },
    )
    const reader = res.body!.getReader()
    await reader.read()
    ac.abort()
    for (let i = 0; i < 40 && w.emu.stats.aborted === before; i++)
      await new Promise((r) => setTimeout(r, 50))
    expect(w.emu.stats.aborted).toBe(before + 1)
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('16 concurrent requests with a near-expiry token cause one refresh and no reuse', async () => {
    await w.cli(['logout'])
    w.emu.set({ accessTtlS: 120 })
    await w.signIn()
    w.emu.set({ accessTtlS: 3600 })
    const before = w.emu.stats.refreshes
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        client.chat.completions.create({
          model: 'gpt-5.5',
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      ),
    )
    record(results)
    expect(results.every((r) => r.choices[0]!.message.content === 'OK')).toBe(true)
    expect(w.emu.stats.refreshes - before).toBe(1)
    expect(w.emu.stats.reuse).toBe(0)
  })

  it('follows the sign-in on disk: after logout requests get 401 not_signed_in', async () => {
    const second = await w.cli(['serve', '--detach'])
    expect(second.json).toMatchObject({ ok: true, already_running: true, pid: gw.pid })
    // logout says what happens to the running gateway: it keeps running and now refuses.
    const out = await w.cli(['logout'])
    expect(out.json.gateway).toMatchObject({ running: true, pid: gw.pid, refusing: true })
    expect(out.json.hint).toMatch(/keeps running and now refuses/)
    const err: any = await client.models.list().catch((e) => e)
    record(err.error)
    expect(err.status).toBe(401)
    expect(err.error.code).toBe('not_signed_in')
  })
})

leakScan(import.meta.url)
