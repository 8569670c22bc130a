/**
 * Pure units of the upstream client and the gateway: body normalisation, SSE reading, the
 * rebuilt answer, error mapping and the chat <-> responses translation. Everything that crosses
 * HTTP or a process is in gateway.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { loadOrCreateKey } from '../src/gateway/key.js'
import type { RawModel } from '../src/backend/models.js'
import { normalizeRequest, upstreamError } from '../src/backend/responses.js'
import { resolveModel, toUpstream } from '../src/backend/upstream.js'
import {
  readBatches,
  readEvents,
  ResponseCollector,
  SsePassThrough,
  StreamEvent,
} from '../src/backend/sse.js'
import { chatDraft } from '../src/gateway/chat.js'
import { ChatStreamer, responsesToChat } from '../src/gateway/chat-reply.js'
import { errorBody } from '../src/gateway/reply.js'
import { ChatRequest, checkBody, ResponsesRequest } from '../src/gateway/schemas.js'

const model = (slug: string, base_instructions = `Base for ${slug}`) =>
  ({
    slug,
    visibility: 'list',
    priority: 0,
    supported_reasoning_levels: [],
    input_modalities: ['text'],
    base_instructions,
  }) as RawModel
const known = { models: [model('gpt-5.5'), model('gpt-6')], known: true }

async function* chunks(...parts: (string | Buffer)[]) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p
}
/** Node 20 has no Array.fromAsync. */
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
const frame = (type: string, data: object, named = true) =>
  `${named ? `event: ${type}\n` : ''}data: ${JSON.stringify({ type, ...data })}\n\n`

describe('normalizeRequest', () => {
  it('sets what the backend requires and accepts typed and untyped items', () => {
    const { body, slug, dropped } = normalizeRequest(
      {
        model: 'openai-codex/gpt-5.5',
        instructions: 'Be brief',
        input: [
          { role: 'system', content: 'Sys' },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
          { role: 'assistant', content: 'Hello' },
        ],
        store: true,
        include: ['x'],
        temperature: 0.2,
        max_output_tokens: 5,
        metadata: { a: 1 },
        tools: [],
      },
      known,
    )
    expect(slug).toBe('gpt-5.5')
    expect(body).toMatchObject({
      model: 'gpt-5.5',
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      instructions: 'Base for gpt-5.5',
      tools: [],
    })
    const input = body.input as any[]
    expect(input.map((i) => [i.type, i.role])).toEqual([
      ['message', 'developer'],
      ['message', 'developer'],
      ['message', 'user'],
      ['message', 'assistant'],
    ])
    expect(input[0].content[0].text).toBe('Be brief')
    expect(input[3].content[0]).toEqual({ type: 'output_text', text: 'Hello' })
    expect(JSON.stringify(body)).not.toContain('"system"')
    expect(dropped).toEqual(['max_output_tokens', 'metadata', 'temperature'])
    for (const k of dropped) expect(body).not.toHaveProperty(k)
  })

  it('puts the instructions, then system and developer messages (in their order) first', () => {
    const text = (t: string) => [{ type: 'input_text', text: t }]
    const { body } = normalizeRequest(
      {
        model: 'gpt-5.5',
        instructions: 'Rules',
        input: [
          { role: 'user', content: 'U1' },
          { role: 'system', content: 'S1' },
          { type: 'function_call_output', call_id: 'c', output: 'o' },
          { type: 'message', role: 'developer', content: text('D1') },
          { role: 'assistant', content: 'A1' },
          { role: 'system', content: 'S2' },
        ],
      },
      known,
    )
    const input = body.input as any[]
    expect(input.map((i) => i.content?.[0]?.text ?? i.type)).toEqual([
      'Rules',
      'S1',
      'D1',
      'S2',
      'U1',
      'function_call_output',
      'A1',
    ])
    expect(input.slice(0, 4).every((i) => i.role === 'developer')).toBe(true)
    // Chat messages take the same path: translated, then built against the resolved model.
    const chat = chatDraft({
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'U1' },
        { role: 'developer', content: 'D1' },
        { role: 'assistant', content: 'A1' },
        { role: 'system', content: 'S1' },
        { role: 'user', content: 'U2' },
      ],
    })
    const hoisted = (toUpstream(chat, resolveModel('gpt-5.5', known)).body.input as any[]).map(
      (i) => [i.role, i.content[0].text],
    )
    expect(hoisted).toEqual([
      ['developer', 'D1'],
      ['developer', 'S1'],
      ['user', 'U1'],
      ['assistant', 'A1'],
      ['user', 'U2'],
    ])
  })

  it('a string input becomes one user message', () => {
    const { body } = normalizeRequest({ model: 'gpt-6', input: 'Hi' }, known)
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
    ])
    expect(body.instructions).toBe('Base for gpt-6')
  })

  it('refuses a model a known catalog does not list, but lets the backend decide with the fallback', () => {
    expect(() => normalizeRequest({ model: 'gpt-nope', input: 'x' }, known)).toThrow(
      expect.objectContaining({ code: 'model_not_available' }),
    )
    const { body } = normalizeRequest({ model: 'gpt-nope', input: 'x' }, { ...known, known: false })
    expect(body).toMatchObject({ model: 'gpt-nope', instructions: 'Base for gpt-5.5' })
    // A body without a model never gets here: the door refuses it (see "request bodies").
  })
})

describe('SSE reading', () => {
  it('batches events per network chunk, across split frames and split UTF-8', async () => {
    const text = frame('response.output_text.delta', { delta: 'héllo' })
    const bytes = Buffer.from(text + frame('response.output_text.delta', { delta: 'b' }, false))
    const cut = text.indexOf('é') + 1 // inside the two bytes of "é"
    const batches: StreamEvent[][] = []
    for await (const b of readBatches(
      chunks(bytes.subarray(0, cut), bytes.subarray(cut), ': keep-alive\n\n'),
    ))
      batches.push(b)
    expect(batches.map((b) => b.map((e) => e.type))).toEqual([
      ['response.output_text.delta', 'response.output_text.delta'],
    ])
    expect(batches[0]![0]!.data.delta).toBe('héllo')
    expect(batches[0]![1]!.data.delta).toBe('b')
  })

  it('passes a named event through without parsing it; malformed data reads as {}', async () => {
    const [ev] = await all(
      readEvents(chunks('event: response.output_text.delta\ndata: {not json\n\n')),
    )
    expect(ev!.type).toBe('response.output_text.delta')
    expect(ev!.raw).toBe('{not json')
    expect(ev!.data).toEqual({})
    expect(await all(readEvents(chunks('data: {not json\n\n')))).toEqual([])
  })

  it('rebuilds the answer from output_item.done when completed has output: []', async () => {
    const c = new ResponseCollector()
    const msg = {
      type: 'message',
      id: 'msg_1',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Hi' }],
    }
    const stream = chunks(
      frame('response.created', { response: { id: 'resp_1', created_at: 5, model: 'gpt-5.5' } }),
      frame('response.output_item.done', { output_index: 0, item: msg }),
      frame('response.completed', {
        response: {
          id: 'resp_1',
          status: 'completed',
          output: [],
          usage: { input_tokens: 3, output_tokens: 1 },
        },
      }),
    )
    for await (const ev of readEvents(stream)) c.add(ev)
    const r = c.response()
    expect(r).toMatchObject({
      id: 'resp_1',
      object: 'response',
      created_at: 5,
      model: 'gpt-5.5',
      status: 'completed',
      output_text: 'Hi',
    })
    expect((r.output[0]!.content as any[])[0].annotations).toEqual([])
    expect(r.usage).toMatchObject({
      input_tokens: 3,
      output_tokens: 1,
      total_tokens: 4,
      output_tokens_details: { reasoning_tokens: 0 },
    })
  })
})

describe('upstream errors', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('429 usage_limit_reached carries resets_at and plan; other 429s retry_after_s', () => {
    const e = upstreamError(
      429,
      JSON.stringify({
        error: { type: 'usage_limit_reached', plan_type: 'plus', resets_in_seconds: 60 },
      }),
      {},
      now,
    )
    expect(e.code).toBe('usage_limit_reached')
    expect(e.extra).toMatchObject({
      resets_at: '2026-01-01T00:01:00.000Z',
      plan: 'plus',
      retry_after_s: 60,
    })
    const { status, headers, body } = errorBody(e)
    expect([status, headers['retry-after'], body.error.type]).toEqual([
      429,
      '60',
      'rate_limit_error',
    ])
    const r = upstreamError(429, 'slow down', { 'retry-after': '7' }, now)
    expect([r.code, r.extra?.retry_after_s]).toEqual(['rate_limited', 7])
  })

  it('a 400 {detail} is upstream_rejected with the text, scrubbed; a 5xx is a 502', () => {
    const jwt = `eyJhbGciOiJub25lIn0.${'eyJzdWIiOiJ4In0'}.sig`
    const e = upstreamError(
      400,
      JSON.stringify({ detail: `Instructions are not valid ${jwt}` }),
      {},
      now,
    )
    expect(e.code).toBe('upstream_rejected')
    expect(e.message).toContain('Instructions are not valid')
    expect(e.message).not.toContain(jwt)
    expect(errorBody(upstreamError(500, '{}', {}, now)).status).toBe(502)
    expect(
      errorBody(upstreamError(400, JSON.stringify({ detail: 'x' }), {}, now)).body.error,
    ).toMatchObject({ code: 'upstream_rejected', type: 'invalid_request_error' })
  })
})

describe('chat <-> responses', () => {
  it('translates roles, images, tools, tool results, tool_choice, response_format and reasoning_effort', () => {
    const draft = chatDraft({
      model: 'gpt-5.5',
      messages: [
        { role: 'system', content: 'Sys' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '42' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'd', parameters: { type: 'object' } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'r', schema: { type: 'object' }, strict: true },
      },
      reasoning_effort: 'high',
      temperature: 1,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
    })
    const { stream, includeUsage, dropped } = draft
    const { body } = toUpstream(draft, resolveModel('gpt-5.5', known))
    expect([stream, includeUsage, dropped]).toEqual([true, true, ['n', 'temperature']])
    expect(body.input).toEqual([
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Sys' }] },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'Look' },
          { type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'low' },
        ],
      },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { type: 'function_call_output', call_id: 'call_1', output: '42' },
    ])
    expect(body.tools).toEqual([
      { type: 'function', name: 'f', description: 'd', parameters: { type: 'object' } },
    ])
    expect(body.tool_choice).toEqual({ type: 'function', name: 'f' })
    expect(body.parallel_tool_calls).toBe(false)
    expect(body.text).toEqual({
      format: { type: 'json_schema', name: 'r', schema: { type: 'object' }, strict: true },
    })
    expect(body.reasoning).toMatchObject({ effort: 'high' })
  })

  it('a complete answer: tool calls, reasoning_content, finish_reason and usage', () => {
    const c = responsesToChat(
      {
        id: 'resp_9',
        created_at: 1,
        status: 'completed',
        output: [
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thinking' }] },
          { type: 'function_call', call_id: 'call_2', name: 'f', arguments: '{}' },
        ],
        usage: { input_tokens: 2, output_tokens: 3 },
      },
      'gpt-5.5',
      Date.now,
    )
    expect(c.choices[0]!.message).toMatchObject({
      role: 'assistant',
      content: null,
      reasoning_content: 'Thinking',
      tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'f', arguments: '{}' } }],
    })
    expect(c.choices[0]!.finish_reason).toBe('tool_calls')
    expect(c.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 })
    const cut = responsesToChat(
      { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] },
      'gpt-5.5',
      Date.now,
    )
    expect(cut.choices[0]!.finish_reason).toBe('length')
  })

  it('streamed chunks: role first, the tool call first delta with id/type/name, a usage chunk with choices: []', () => {
    const s = new ChatStreamer('gpt-5.5', true, Date.now)
    const ev = (type: string, data: object) =>
      new StreamEvent(type, JSON.stringify({ type, ...data }))
    expect(s.first().choices[0]!.delta).toEqual({ role: 'assistant', content: '' })
    const [add] = s.map(
      ev('response.output_item.added', {
        item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f' },
      }),
    )
    expect(add!.choices[0]!.delta.tool_calls![0]).toEqual({
      index: 0,
      id: 'call_1',
      type: 'function',
      function: { name: 'f', arguments: '' },
    })
    const [arg] = s.map(
      ev('response.function_call_arguments.delta', { item_id: 'fc_1', delta: '{}' }),
    )
    expect(arg!.choices[0]!.delta.tool_calls![0]).toEqual({
      index: 0,
      function: { arguments: '{}' },
    })
    expect(
      s.map(ev('response.reasoning_summary_text.delta', { delta: 'hm' }))[0]!.choices[0]!.delta,
    ).toEqual({ reasoning_content: 'hm' })
    expect(s.finished).toBe(false)
    const [fin, usage] = s.map(
      ev('response.completed', { response: { usage: { input_tokens: 1, output_tokens: 1 } } }),
    )
    expect(fin!.choices[0]!.finish_reason).toBe('tool_calls')
    expect(usage).toMatchObject({ choices: [], usage: { total_tokens: 2 } })
    expect(s.finished).toBe(true)
  })
})

describe('SSE pass-through', () => {
  it('forwards complete events untouched, holds a partial one, splits at the completion', () => {
    const a = frame('response.created', { response: { id: 'r' } })
    const b = frame('response.output_text.delta', { delta: 'é' })
    const done = frame('response.completed', { response: { output: [] } })
    const p = new SsePassThrough(['response.completed'])
    const bytes = Buffer.from(a + b)
    const cut = a.length + 20
    expect(p.split(bytes.subarray(0, cut))).toEqual({ raw: a, rest: '' })
    const second = p.split(Buffer.concat([bytes.subarray(cut), Buffer.from(done + 'event: x\nda')]))
    expect(second).toEqual({ raw: b, rest: done })
    expect(p.parse(a).map((e) => e.type)).toEqual(['response.created'])
    expect(p.parse(second.raw)[0]!.data.delta).toBe('é')
    expect(p.parse(second.rest).map((e) => e.type)).toEqual(['response.completed'])
    // A completion first in its chunk: nothing raw.
    const q = new SsePassThrough(['response.completed'])
    expect(q.split(done)).toEqual({ raw: '', rest: done })
    // CR line ends: everything goes through the parser, partial lines included.
    const r = new SsePassThrough(['response.completed'])
    const crlf = a.replace(/\n/g, '\r\n')
    expect(r.split(crlf.slice(0, 30))).toEqual({ raw: '', rest: crlf.slice(0, 30) })
    expect(r.parse(crlf.slice(0, 30))).toEqual([])
    expect(r.split(crlf.slice(30)).raw).toBe('')
    expect(r.parse(crlf.slice(30)).map((e) => e.type)).toEqual(['response.created'])
  })
})

describe('request bodies at the boundary', () => {
  it('passes valid bodies with every unknown field intact', () => {
    const r = checkBody(ResponsesRequest, {
      model: 'gpt-5.5',
      input: [
        { role: 'user', content: 'x' },
        { type: 'function_call_output', output: 'o' },
      ],
      temperature: 0.3,
      metadata: { a: 1 },
      instructions: null,
    })
    expect(r).toMatchObject({ ok: true, data: { temperature: 0.3, metadata: { a: 1 } } })
    const c = checkBody(ChatRequest, {
      model: 'gpt-5.5',
      messages: [
        { role: 'system', content: 'S' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: '1' },
      ],
      n: 1,
      stream_options: null,
      tool_choice: 'auto',
    })
    expect(c.ok && Object.keys(c.data).sort()).toEqual([
      'messages',
      'model',
      'n',
      'stream_options',
      'tool_choice',
    ])
    // Dropped fields are still seen (and named) downstream.
    expect(c.ok && chatDraft(c.data).dropped).toEqual(['n'])
  })

  it('refuses wrong shapes naming the field, as OpenAI does with `param`', () => {
    const cases: [unknown, unknown, string | null][] = [
      [ResponsesRequest, [], null],
      [ResponsesRequest, { input: 'x' }, 'model'],
      [ResponsesRequest, { model: '', input: 'x' }, 'model'],
      [ResponsesRequest, { model: 'm', input: 42 }, 'input'],
      [ResponsesRequest, { model: 'm', input: [{ content: 'x' }] }, 'input[0]'],
      [ResponsesRequest, { model: 'm', input: 'x', stream: 'yes' }, 'stream'],
      [ChatRequest, { model: 'm', messages: [] }, 'messages'],
      [
        ChatRequest,
        { model: 'm', messages: [{ role: 'wizard', content: 'x' }] },
        'messages[0].role',
      ],
      [
        ChatRequest,
        { model: 'm', messages: [{ role: 'user', content: 5 }] },
        'messages[0].content',
      ],
      [ChatRequest, { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0]'],
      [
        ChatRequest,
        { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function' }] },
        'tools[0].function',
      ],
    ]
    for (const [schema, body, param] of cases) {
      const r = checkBody(schema as typeof ChatRequest, body)
      expect(r.ok, JSON.stringify(body)).toBe(false)
      if (r.ok) continue
      expect(r.param).toBe(param)
      expect(r.message).toMatch(/^Invalid request body: /)
      if (param) expect(r.message).toContain(`${param}: `)
    }
  })
})

describe('the local key file', () => {
  it('is created once (0600), read back, and a bad one is reported and kept, never replaced', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cco-key-'))
    try {
      const ctx = createContext({ HOME: home, CHATGPT_CODEX_HOME: join(home, 'state') })
      const file = join(home, 'state', 'gateway-key.json')
      const key = await loadOrCreateKey(ctx)
      expect(key).toMatch(/^[a-f0-9]{64}$/)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(await loadOrCreateKey(ctx)).toBe(key)
      for (const bad of [
        '{"key": "abc"}',
        '{not json',
        JSON.stringify({ key: key.toUpperCase() }),
      ]) {
        writeFileSync(file, bad, { mode: 0o600 })
        const err: any = await loadOrCreateKey(ctx).catch((e) => e)
        expect(err).toMatchObject({ code: 'state_corrupt' })
        expect(err.hint).toContain('gateway-key.json')
        expect(readFileSync(file, 'utf8')).toBe(bad)
      }
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})
