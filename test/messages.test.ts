/**
 * Issue 22 end to end: the `serve` gateway as a real process against the emulator, with the
 * official `@anthropic-ai/sdk` as the client, on `/v1/messages`.
 */
import Anthropic from '@anthropic-ai/sdk'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { servedGateway } from './helpers/gateway.js'
import type { World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const UPSTREAM = '/backend-api/codex/responses'

let w: World
let gw: Record<string, any>
let key = ''
let base = ''
let client: Anthropic

beforeAll(async () => {
  ;({ w, gw, key } = await servedGateway())
  base = String(gw.url).replace(/\/v1$/, '')
  client = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 })
})

afterAll(async () => {
  await w.cli(['serve', '--stop'])
  record(readFileSync(join(w.home, 'gateway.log'), 'utf8'))
  await w.close()
})

const lastUpstream = () => w.emu.requests.findLast((r) => r.path === UPSTREAM)!.body as any
const upstreamCount = () => w.emu.requests.filter((r) => r.path === UPSTREAM).length

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
}

describe('/v1/messages with the Anthropic SDK', () => {
  it('answers a plain message, names what it dropped, maps the Claude id, reads cached tokens', async () => {
    w.emu.set({ responses: { reply: 'text', text: 'Hello there', mode: 'ok', cachedTokens: 3 } })
    const { data, response } = await client.messages
      .create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1000,
        temperature: 0.3,
        system: [{ type: 'text', text: 'Be brief', cache_control: { type: 'ephemeral' } }],
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'system' as any, content: 'Answer in English' },
        ],
        metadata: { user_id: 'u1' },
      } as any)
      .withResponse()
    record(data)
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Hello there' }],
    })
    expect(data.usage.cache_read_input_tokens).toBe(3)
    expect(data.usage.output_tokens).toBeGreaterThan(0)
    expect(response.headers.get('x-gateway-dropped-params')).toBe('max_tokens,metadata,temperature')
    const up = lastUpstream()
    expect(up.model).toBe('gpt-6.1-sol') // the catalog's default model
    expect(up.include).toEqual(['reasoning.encrypted_content'])
    expect(up.input.slice(0, 2).map((i: any) => [i.role, i.content[0].text])).toEqual([
      ['developer', 'Be brief'],
      ['developer', 'Answer in English'],
    ])
    expect(up.temperature).toBeUndefined()
    expect(up.max_output_tokens).toBeUndefined()
  })

  it('streams text on the beta path (?beta=true), with the Bearer key too', async () => {
    w.emu.set({ responses: { reply: 'text', text: 'Streamed words here', mode: 'ok' } })
    const bearer = new Anthropic({ authToken: key, apiKey: null, baseURL: base, maxRetries: 0 })
    const stream = await bearer.beta.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    })
    const types: string[] = []
    let text = ''
    let stop: unknown
    for await (const ev of stream) {
      record(ev)
      types.push(ev.type)
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text
      if (ev.type === 'message_delta') stop = ev.delta.stop_reason
    }
    expect(text).toBe('Streamed words here')
    expect(stop).toBe('end_turn')
    expect(types[0]).toBe('message_start')
    expect(types.at(-1)).toBe('message_stop')
    expect(types).toContain('content_block_start')
    expect(types).toContain('content_block_stop')
    // The emulator lists no fast model: the table's <small> falls back to the default.
    expect(lastUpstream().model).toBe('gpt-6.1-sol')
  })

  it('sends a ping right after message_start, as named SSE events', async () => {
    const res = await fetch(`${base}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'x-api-key': key,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'gpt-5.5',
        max_tokens: 10,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    })
    const body = await res.text()
    record(body)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    expect(body).toMatch(
      /^event: message_start\ndata: .*\n\nevent: ping\ndata: \{"type":"ping"\}\n\n/,
    )
    expect(body).toContain('event: message_stop')
  })

  it('runs a two-turn tool loop: turn 2 carries the reasoning (encrypted) and the tool output', async () => {
    w.emu.set({ responses: { reply: 'tool_call', mode: 'ok', reasoning: true } })
    const tools: any[] = [
      weather,
      { type: 'web_search_20250305', name: 'web_search' },
      { name: 'Deferred', input_schema: { type: 'object' }, defer_loading: true },
    ]
    const first = await client.messages
      .create({
        model: 'claude-opus-4-1',
        max_tokens: 100,
        tools,
        tool_choice: { type: 'auto' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      })
      .withResponse()
    record(first.data)
    expect(first.response.headers.get('x-gateway-dropped-params')).toBe(
      'max_tokens,tools.Deferred,tools.web_search',
    )
    const sent1 = lastUpstream()
    expect(sent1.tools).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
        strict: false,
      },
    ])
    expect(first.data.stop_reason).toBe('tool_use')
    const call = first.data.content.find((b) => b.type === 'tool_use')!
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } })
    expect(first.data.content.some((b) => b.type === 'thinking')).toBe(false) // not asked for

    w.emu.set({ responses: { reply: 'text', text: 'Sunny in Paris', mode: 'ok' } })
    const second = await client.messages.create({
      model: 'claude-opus-4-1',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.data.content },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: (call as any).id,
              content: 'sunny',
              is_error: false,
            },
          ],
        },
      ],
    })
    record(second)
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny in Paris' }])
    const input = lastUpstream().input as any[]
    const kinds = input.map((i) => i.type)
    const r = kinds.indexOf('reasoning')
    expect(r).toBeGreaterThan(0)
    expect(input[r].encrypted_content).toMatch(/^gAAAAB/)
    expect(kinds.slice(r)).toEqual(['reasoning', 'function_call', 'function_call_output'])
    expect(input[r + 1]).toMatchObject({ call_id: (call as any).id, name: 'get_weather' })
    expect(input[r + 2]).toEqual({
      type: 'function_call_output',
      call_id: (call as any).id,
      output: 'sunny',
    })
  })

  it('streams thinking and a tool call; the signed thinking block carries reasoning to turn 2', async () => {
    w.emu.set({ responses: { reply: 'tool_call', mode: 'ok', reasoning: true } })
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tools: [weather],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Weather?' }],
    })
    const deltas = new Set<string>()
    stream.on('streamEvent', (ev) => {
      if (ev.type === 'content_block_delta') deltas.add(ev.delta.type)
    })
    const msg = await stream.finalMessage()
    record(msg)
    expect([...deltas].sort()).toEqual(['input_json_delta', 'signature_delta', 'thinking_delta'])
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'tool_use'])
    const thinking = msg.content[0] as Anthropic.ThinkingBlock
    expect(thinking.thinking).toBe('Considering the request before answering.')
    expect(thinking.signature).toMatch(/^codex-reasoning\.gAAAAB/)
    expect(lastUpstream()).toMatchObject({
      reasoning: { effort: 'low', summary: 'auto' },
      tool_choice: { type: 'function', name: 'get_weather' },
    })

    w.emu.set({ responses: { reply: 'text', text: 'Done', mode: 'ok' } })
    const toolUse = msg.content[1] as Anthropic.ToolUseBlock
    await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: msg.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, content: 'no data', is_error: true },
          ],
        },
      ],
    })
    const input = lastUpstream().input as any[]
    const reasoning = input.find((i) => i.type === 'reasoning')
    expect(reasoning.encrypted_content).toBe(thinking.signature.replace('codex-reasoning.', ''))
    expect(reasoning.summary).toEqual([{ type: 'summary_text', text: thinking.thinking }])
    expect(input.at(-1)).toMatchObject({
      type: 'function_call_output',
      output: '[tool error] no data',
    })
  })

  it("takes a request shaped like Claude Code 2.1's (measured in issue 22), streamed, and names what it left out", async () => {
    w.emu.set({ responses: { reply: 'text', text: 'Done.', mode: 'ok', reasoning: true } })
    const schema = (props: Record<string, unknown>) => ({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: props,
      additionalProperties: false,
    })
    const tools = [
      ...[
        'Bash',
        'Read',
        'Edit',
        'Write',
        'Glob',
        'Grep',
        'Task',
        'TodoWrite',
        'WebFetch',
        'NotebookEdit',
        'ExitPlanMode',
      ].map((name) => ({
        name,
        description: `The ${name} tool`,
        input_schema: schema({ arg: { type: 'string' } }),
      })),
      {
        name: 'ToolSearch',
        description: 'Deferred',
        input_schema: schema({}),
        defer_loading: true,
      },
    ]
    const body = {
      model: 'claude-sonnet-5-5',
      max_tokens: 32000,
      stream: true,
      metadata: { user_id: 'user_abc_account_def_session_ghi' },
      thinking: { type: 'adaptive', display: 'omitted' },
      output_config: { effort: 'high' },
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be careful.', cache_control: { type: 'ephemeral' } },
      ],
      tools,
      messages: [
        { role: 'system', content: 'Extra rules for unknown models' },
        {
          role: 'user',
          content: [{ type: 'text', text: 'List the files', cache_control: { type: 'ephemeral' } }],
        },
      ],
    }
    const res = await fetch(`${base}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'anthropic-beta':
          'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27',
      },
      body: JSON.stringify(body),
    })
    const text = await res.text()
    record(text)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-gateway-dropped-params')).toBe(
      'context_management,max_tokens,metadata,tools.ToolSearch',
    )
    // display: omitted: the thinking block carries the signature and no text.
    expect(text).toMatch(/"content_block":\{"type":"thinking","thinking":"","signature":""\}/)
    expect(text).not.toContain('thinking_delta')
    expect(text).toContain('"signature_delta"')
    expect(text).toContain('"stop_reason":"end_turn"')
    const up = lastUpstream()
    expect(up.tools).toHaveLength(11)
    expect(JSON.stringify(up.tools)).not.toContain('$schema')
    expect(up.reasoning).toEqual({ effort: 'high' })
    expect(up.input.slice(0, 3).map((i: any) => i.role)).toEqual([
      'developer',
      'developer',
      'developer',
    ])
    expect(up.input[3]).toEqual({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: 'List the files' }],
    })
  })

  it('sends images, base64 and by URL', async () => {
    w.emu.set({ responses: { reply: 'text', text: 'A pixel', mode: 'ok' } })
    const r = await client.messages.create({
      model: 'gpt-5.5',
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image',
              source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
            },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    })
    expect(r.content).toEqual([{ type: 'text', text: 'A pixel' }])
    expect(lastUpstream().input.at(-1).content).toEqual([
      { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'input_image', image_url: 'https://example.com/cat.png' },
      { type: 'input_text', text: 'What is this?' },
    ])
  })

  it('answers a usage limit as a 429 rate_limit_error with retry-after, streamed or not', async () => {
    w.emu.set({ responses: { reply: 'text', mode: 'usage_limit' } })
    for (const stream of [false, true]) {
      const err: any = await client.messages
        .create({
          model: 'gpt-5.5',
          max_tokens: 5,
          stream,
          messages: [{ role: 'user', content: 'Hi' }],
        } as any)
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      record(String(err))
      expect(err).toBeInstanceOf(Anthropic.RateLimitError)
      expect(err.status).toBe(429)
      expect(err.error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', code: 'usage_limit_reached' },
      })
      expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(3000)
    }
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('a stream the upstream cuts ends with an error event, never message_stop; whole, a 502 api_error', async () => {
    w.emu.set({ responses: { reply: 'text', text: 'Some long answer', mode: 'cut' } })
    const types: string[] = []
    const err: any = await (async () => {
      const stream = await client.messages.create({
        model: 'gpt-5.5',
        max_tokens: 5,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      })
      for await (const ev of stream) types.push(ev.type)
    })().catch((e: unknown) => e)
    record(String(err))
    expect(types).toContain('content_block_delta')
    expect(types).not.toContain('message_stop')
    expect(err).toBeInstanceOf(Anthropic.APIError)
    expect(String(err.message)).toMatch(/ended before the response completed/)
    const whole: any = await client.messages
      .create({ model: 'gpt-5.5', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e)
    expect(whole.status).toBe(502)
    expect(whole.error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', code: 'network_error' },
    })
    w.emu.set({ responses: { reply: 'text', mode: 'ok' } })
  })

  it('refreshes once and retries on an upstream 401, invisibly', async () => {
    w.emu.set({
      responses: { reply: 'text', text: 'After refresh', mode: 'ok' },
      faults: { [`POST ${UPSTREAM}`]: { status: 401, times: 1 } },
    })
    const before = upstreamCount()
    const r = await client.messages.create({
      model: 'gpt-5.5',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(r.content).toEqual([{ type: 'text', text: 'After refresh' }])
    expect(upstreamCount()).toBe(before + 2)
  })

  it('refuses a wrong key and a bad body in Anthropic shape', async () => {
    const wrong = new Anthropic({ apiKey: 'not-the-key', baseURL: base, maxRetries: 0 })
    const e1: any = await wrong.messages
      .create({ model: 'gpt-5.5', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e)
    expect(e1).toBeInstanceOf(Anthropic.AuthenticationError)
    expect(e1.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
    const e2: any = await client.messages
      .create({ model: 'gpt-5.5', max_tokens: 5 } as any)
      .catch((e: unknown) => e)
    expect(e2).toBeInstanceOf(Anthropic.BadRequestError)
    expect(e2.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    record([String(e1), String(e2)])
  })

  it('counts tokens as an estimate and lists models in Anthropic shape', async () => {
    const before = upstreamCount()
    const count = await client.messages.countTokens({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hello there, how are you today?' }],
    })
    expect(count.input_tokens).toBeGreaterThan(5)
    expect((count as any).estimated).toBe(true)
    expect(upstreamCount()).toBe(before)
    const models = await client.models.list()
    const ids = models.data.map((m) => m.id)
    expect(ids).toContain('gpt-5.5')
    expect(models.data[0]).toMatchObject({ type: 'model' })
    const openai = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    expect(await openai.json()).toMatchObject({ object: 'list' })
  })
})

leakScan(import.meta.url)
