/**
 * Issue 20 end to end (items 2, 3, 4, 6): fast mode, one cache key per conversation, in-stream
 * failures that keep their code, tool calls that arrive only in `output_item.done`. `verify` and
 * the `serve` gateway run as real processes against the emulator; the client is the `openai` SDK
 * or a raw fetch where the SDK would hide what is checked.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import OpenAI from 'openai'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { servedGateway, type ServedGateway } from './helpers/gateway.js'
import type { World } from './helpers/harness.js'
import { record } from './helpers/leaks.js'

const RESPONSES = '/backend-api/codex/responses'

let w: World
let gw: Record<string, any>
let key = ''
let client: OpenAI
let post: ServedGateway['post']

beforeAll(async () => {
  ;({ w, gw, key, post } = await servedGateway())
  client = new OpenAI({ apiKey: key, baseURL: gw.url, maxRetries: 0 })
})

afterEach(() => w.emu.set({ responses: { reply: 'text', mode: 'ok' } }))

afterAll(async () => {
  await w.cli(['serve', '--stop'])
  await w.close()
})

/** The body of the last request that reached the backend. */
const lastUpstream = () => w.emu.requests.findLast((r) => r.path === RESPONSES)!

/** The data of every SSE frame of a stream's text. */
const frames = (text: string) =>
  text
    .split('\n\n')
    .map((f) => /^data: (.*)$/m.exec(f)?.[1])
    .filter((d): d is string => d !== undefined && d !== '[DONE]')
    .map((d) => JSON.parse(d) as Record<string, any>)

const chat = { model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hi' }] }
const resp = { model: 'gpt-5.5', input: 'Hi' }

describe('in-stream failures keep their code', () => {
  const limit = { reply: 'text', mode: 'failed', failCode: 'usage_limit_reached' } as const

  it('before any byte: the HTTP error the failure stands for, on both dialects and non-streamed', async () => {
    for (const mode of ['failed', 'error_event'] as const) {
      w.emu.set({ responses: { ...limit, mode, failEarly: true } })
      for (const [path, body] of [
        ['/responses', { ...resp, stream: true }],
        ['/chat/completions', { ...chat, stream: true }],
        ['/responses', resp],
        ['/chat/completions', chat],
      ] as const) {
        const r = await post(path, body)
        const j = (await r.json()) as any
        record(j)
        expect([mode, path, r.status]).toEqual([mode, path, 429])
        expect(j.error).toMatchObject({ code: 'usage_limit_reached', plan: 'pro' })
        expect(j.error.resets_at).toMatch(/^\d{4}-/)
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    }
  })

  it('a non-streamed answer whose stream fails after text is the same HTTP error', async () => {
    w.emu.set({ responses: { ...limit, failCode: 'context_length_exceeded' } })
    const r = await post('/chat/completions', chat)
    expect(r.status).toBe(400)
    expect(((await r.json()) as any).error).toMatchObject({
      code: 'context_length_exceeded',
      upstream_code: 'context_length_exceeded',
    })
    await expect(client.responses.create(resp as any)).rejects.toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
    })
  })

  it('after bytes: an error event (responses) or error chunk (chat) with the code, never [DONE]', async () => {
    for (const mode of ['failed', 'error_event'] as const) {
      w.emu.set({ responses: { ...limit, mode } })
      const c = await (await post('/chat/completions', { ...chat, stream: true })).text()
      record(c)
      expect(c).not.toContain('[DONE]')
      const last = frames(c).at(-1)!
      expect(last.error).toMatchObject({ code: 'usage_limit_reached', plan: 'pro' })
      expect(last.error.resets_at).toMatch(/^\d{4}-/)
      expect(frames(c).some((f) => f.choices?.[0]?.delta?.content === 'Partial')).toBe(true)

      const r = await (await post('/responses', { ...resp, stream: true })).text()
      const events = frames(r)
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'usage_limit_reached' })
      expect(events.at(-1)!.error.resets_at).toMatch(/^\d{4}-/)
      // Codex reads the backend's own response.failed: it is passed on before the error event.
      if (mode === 'failed') expect(events.at(-2)!.type).toBe('response.failed')
      expect(events.some((e) => e.type === 'response.completed')).toBe(false)
    }
    // The SDK raises the code.
    w.emu.set({ responses: { ...limit, failCode: 'context_length_exceeded' } })
    const stream = await client.responses.create({ ...resp, stream: true } as any)
    await expect(
      (async () => {
        for await (const _ of stream as any) void _
      })(),
    ).rejects.toMatchObject({ code: 'context_length_exceeded' })
  })

  it('an upstream that keeps sending after its completion or failure: the answer stays ended, the gateway keeps serving', async () => {
    const until = async (n: number) => {
      for (let i = 0; i < 500 && w.emu.stats.trailing < n; i++) {
        await new Promise((r) => setTimeout(r, 20))
      }
      expect(w.emu.stats.trailing).toBe(n)
    }
    const t0 = w.emu.stats.trailing
    for (const mode of ['ok', 'failed', 'error_event'] as const) {
      w.emu.set({ responses: { ...limit, mode, trailing: true } })
      const r = await (await post('/responses', { ...resp, stream: true })).text()
      record(r)
      const last = frames(r).at(-1)!.type
      expect([mode, last]).toEqual([mode, mode === 'ok' ? 'response.completed' : 'error'])
      expect(r).not.toContain('late')
    }
    // The same to a client that is not reading: the gateway's completion is still queued when the
    // late event arrives (a write after the end would take the whole process down).
    await until(t0 + 3)
    w.emu.set({ responses: { reply: 'text', text: 'x'.repeat(1_000_000), trailing: true } })
    const slow = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      })
      req.on('response', resolve).on('error', reject)
      req.end(JSON.stringify({ ...resp, stream: true }))
    })
    slow.pause()
    await until(t0 + 4)
    await new Promise((r) => setTimeout(r, 200))
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
    const after = await fetch(`${gw.url}/models`, { headers: { authorization: `Bearer ${key}` } })
    expect(after.status).toBe(200)
    slow.destroy()
  })

  it('verify reports an in-stream failure with the same code as the HTTP one', async () => {
    w.emu.set({ responses: limit })
    const v = await w.cli(['verify'])
    expect(v.json).toMatchObject({ ok: false, code: 'usage_limit_reached', plan: 'pro' })
    expect(v.json.resets_at).toMatch(/^\d{4}-/)
    w.emu.set({ responses: { ...limit, mode: 'error_event', failCode: 'context_length_exceeded' } })
    const c = await w.cli(['verify'])
    expect(c.json).toMatchObject({ ok: false, code: 'context_length_exceeded' })
  })
})

describe('one conversation, one key', () => {
  it('five chat turns through the gateway share one prompt_cache_key and session-id; another conversation differs', async () => {
    const seen = async (messages: unknown[]) => {
      await client.chat.completions.create({ model: 'gpt-5.5', messages } as any)
      const r = lastUpstream()
      return [(r.body as any).prompt_cache_key, r.headers['session-id']] as [string, string]
    }
    const messages: any[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Tell me about zebras' },
    ]
    const keys: [string, string][] = []
    for (let k = 0; k < 5; k++) {
      keys.push(await seen(messages))
      messages.push({ role: 'assistant', content: 'OK' }, { role: 'user', content: `more ${k}` })
    }
    expect(new Set(keys.map((k) => k.join(' '))).size).toBe(1)
    expect(keys[0]![0]).toBe(keys[0]![1])
    expect(keys[0]![0]).not.toMatch(/zebra/i)
    const other = await seen([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Tell me about lions' },
    ])
    expect(other[0]).not.toBe(keys[0]![0])
    expect(other[1]).not.toBe(keys[0]![1])
    // A client's own key wins (the Responses dialect here).
    await client.responses.create({
      model: 'gpt-5.5',
      input: 'x',
      prompt_cache_key: 'thread-7',
    } as any)
    expect((lastUpstream().body as any).prompt_cache_key).toBe('thread-7')
  })
})

describe('fast mode', () => {
  it('/v1/models and models show the tiers; priority goes upstream for a model that offers it', async () => {
    const list = (await client.models.list()).data as any[]
    expect(list.find((m) => m.id === 'gpt-5.5').service_tiers).toEqual([
      expect.objectContaining({ id: 'priority', name: 'Fast' }),
    ])
    expect(list.find((m) => m.id === 'gpt-6-astra').service_tiers).toEqual([])
    const models = await w.cli(['models'])
    expect(models.json.models.find((m: any) => m.slug === 'gpt-5.5').service_tiers[0].id).toBe(
      'priority',
    )

    const r = await post('/responses', { ...resp, service_tier: 'priority' })
    expect(r.status).toBe(200)
    expect(r.headers.get('x-gateway-dropped-params')).toBeNull()
    expect(((await r.json()) as any).output_text).toBe('OK')
    expect((lastUpstream().body as any).service_tier).toBe('priority')

    const c = await post('/chat/completions', { ...chat, service_tier: 'priority' })
    expect(c.status).toBe(200)
    expect((lastUpstream().body as any).service_tier).toBe('priority')
  })

  it('a tier the model does not offer is dropped and named, and the request still answers', async () => {
    const r = await post('/responses', { ...resp, model: 'gpt-6-astra', service_tier: 'priority' })
    expect(r.status).toBe(200)
    expect(r.headers.get('x-gateway-dropped-params')).toBe('service_tier')
    expect('service_tier' in (lastUpstream().body as any)).toBe(false)
  })
})

describe('tool calls from output_item.done alone', () => {
  const weather = {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  }

  it('reach chat clients, streamed and not', async () => {
    w.emu.set({ responses: { reply: 'tool_call_done_only' } })
    const whole = await client.chat.completions.create({ ...chat, tools: [weather] } as any)
    record(whole)
    expect(whole.choices[0]!.finish_reason).toBe('tool_calls')
    const call = whole.choices[0]!.message.tool_calls![0] as any
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } })
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' })
    expect(call.id).toMatch(/^call_/)

    const stream = await client.chat.completions.create({
      ...chat,
      tools: [weather],
      stream: true,
    } as any)
    const calls: any[] = []
    let finish: string | null = null
    for await (const c of stream as any) {
      calls.push(...(c.choices[0]?.delta?.tool_calls ?? []))
      finish = c.choices[0]?.finish_reason ?? finish
    }
    expect(finish).toBe('tool_calls')
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'get_weather' },
    })
    expect(JSON.parse(calls[0].function.arguments)).toEqual({ city: 'Paris' })
  })

  it('custom (freeform) tools pass through /v1/responses unchanged, and so does their call', async () => {
    const custom = {
      type: 'custom',
      name: 'apply_patch',
      description: 'Apply a patch',
      format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' },
    }
    w.emu.set({ responses: { reply: 'custom_tool_call' } })
    const r = (await (await post('/responses', { ...resp, tools: [custom] })).json()) as any
    expect((lastUpstream().body as any).tools).toEqual([custom])
    expect(r.output[0]).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch' })
    expect(r.output[0].input).toContain('Begin Patch')
    const s = await (await post('/responses', { ...resp, tools: [custom], stream: true })).text()
    const done = frames(s).find((e) => e.type === 'response.output_item.done')!
    expect(done.item).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch' })
    expect(frames(s).at(-1)!.type).toBe('response.completed')
  })
})
