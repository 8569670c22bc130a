/** Issue 22: the Anthropic Messages translation, both ways, block by block and event by event. */
import { describe, expect, it } from 'vitest'
import type { RawModel } from '../src/backend/models.js'
import { StreamEvent } from '../src/backend/sse.js'
import { loadConfig } from '../src/config.js'
import { codexSlugFor, smallModel } from '../src/gateway/claude-models.js'
import { cleanSchema, messagesDraft } from '../src/gateway/messages.js'
import {
  anthropicEnvelope,
  anthropicErrorType,
  wantsAnthropic,
} from '../src/gateway/messages-errors.js'
import { responsesToMessage, stopReason, usageOf } from '../src/gateway/messages-reply.js'
import { MessagesRequest } from '../src/gateway/messages-schemas.js'
import { MessagesStreamer } from '../src/gateway/messages-stream.js'
import { ReasoningMemo, toSignature } from '../src/gateway/reasoning-memo.js'
import { checkBody } from '../src/gateway/schemas.js'

const NOW = () => 1_800_000_000_000
const parse = (body: unknown) => {
  const r = checkBody(MessagesRequest, body)
  if (!r.ok) throw new Error(r.message)
  return r.data
}
const draft = (body: Record<string, unknown>, memo = new ReasoningMemo()) =>
  messagesDraft(parse({ model: 'claude-x', max_tokens: 10, ...body }), memo)
const ev = (type: string, data: Record<string, unknown> = {}) =>
  new StreamEvent(type, JSON.stringify({ type, ...data }))

describe('request translation', () => {
  it('system blocks, a system string and role:"system" messages become developer messages', () => {
    const d = draft({
      system: [
        { type: 'text', text: 'A', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'B' },
      ],
      messages: [
        { role: 'system', content: 'C' },
        { role: 'user', content: 'hi' },
      ],
    })
    expect(d.items).toEqual([
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'A' }] },
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'B' }] },
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'C' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
    ])
    expect(draft({ system: 'S', messages: [] }).items[0]).toMatchObject({ role: 'developer' })
    expect(d.dropped).toEqual(['max_tokens'])
  })

  it('text, images (base64, URL), and names what it cannot send (documents, odd sources)', () => {
    const d = draft({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAA' } },
            { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
            { type: 'image', source: { type: 'file', file_id: 'f' } },
            { type: 'document', source: { type: 'base64', data: 'x' } },
          ],
        },
      ],
    })
    expect(d.items[0]!.content).toEqual([
      { type: 'input_text', text: 'look' },
      { type: 'input_image', image_url: 'data:image/jpeg;base64,AAA' },
      { type: 'input_image', image_url: 'https://x/y.png' },
    ])
    expect(d.dropped).toEqual(['content.document', 'image.source', 'max_tokens'])
  })

  it('tool_use and tool_result (is_error, text blocks, images named) become calls and outputs in order', () => {
    const d = draft({
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
            { type: 'tool_use', id: 'toolu_2', name: 'g', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              is_error: true,
              content: [
                { type: 'text', text: 'boom' },
                { type: 'image', source: { type: 'url', url: 'u' } },
              ],
            },
            { type: 'text', text: 'go on' },
          ],
        },
      ],
    })
    expect(d.items).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling' }] },
      { type: 'function_call', call_id: 'toolu_1', name: 'f', arguments: '{"a":1}' },
      { type: 'function_call', call_id: 'toolu_2', name: 'g', arguments: '{}' },
      { type: 'function_call_output', call_id: 'toolu_1', output: 'ok' },
      { type: 'function_call_output', call_id: 'toolu_2', output: '[tool error] boom' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go on' }] },
    ])
    expect(d.dropped).toContain('tool_result.image')
  })

  it('gives reasoning back: from a signed thinking block, else from the memo, once per answer', () => {
    const memo = new ReasoningMemo()
    memo.remember(
      ['toolu_1', 'toolu_2'],
      [{ type: 'reasoning', summary: [], encrypted_content: 'ENC_MEMO' }],
    )
    const fromMemo = draft(
      {
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'theirs', signature: 'anthropic-sig' },
              { type: 'redacted_thinking', data: 'x' },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
              { type: 'tool_use', id: 'toolu_2', name: 'f', input: {} },
            ],
          },
        ],
      },
      memo,
    )
    expect(fromMemo.items.map((i) => i.type)).toEqual([
      'reasoning',
      'function_call',
      'function_call',
    ])
    expect(fromMemo.items[0]).toEqual({
      type: 'reasoning',
      summary: [],
      encrypted_content: 'ENC_MEMO',
    })
    const signed = draft(
      {
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'mine', signature: toSignature('ENC_SIG') },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
            ],
          },
        ],
      },
      memo,
    )
    expect(signed.items[0]).toEqual({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'mine' }],
      encrypted_content: 'ENC_SIG',
    })
    expect(signed.items).toHaveLength(2) // the memo is not consulted when the block carried it
  })

  it('tools: input_schema cleaned of $schema at any depth; server and deferred tools left out and named', () => {
    const d = draft({
      messages: [],
      tools: [
        {
          name: 'Read',
          description: 'read',
          input_schema: {
            $schema: 'x',
            type: 'object',
            properties: { p: { $schema: 'y', type: 'string' } },
          },
        },
        { name: 'web_search', type: 'web_search_20250305' },
        { name: 'Lazy', input_schema: { type: 'object' }, defer_loading: true },
        { name: 'Custom', type: 'custom', input_schema: { type: 'object' } },
      ],
    })
    expect(d.fields.tools).toEqual([
      {
        type: 'function',
        name: 'Read',
        description: 'read',
        parameters: { type: 'object', properties: { p: { type: 'string' } } },
        strict: false,
      },
      {
        type: 'function',
        name: 'Custom',
        description: '',
        parameters: { type: 'object' },
        strict: false,
      },
    ])
    expect(d.dropped).toEqual(['max_tokens', 'tools.Lazy', 'tools.web_search'])
    expect(cleanSchema([{ $id: 'a', x: 1 }])).toEqual([{ x: 1 }])
  })

  it('tool_choice auto/any/tool/none and disable_parallel_tool_use', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }]
    const choice = (tool_choice: unknown) => draft({ messages: [], tools, tool_choice }).fields
    expect(choice({ type: 'auto' }).tool_choice).toBe('auto')
    expect(choice({ type: 'any' }).tool_choice).toBe('required')
    expect(choice({ type: 'none' }).tool_choice).toBe('none')
    expect(choice({ type: 'tool', name: 'f' }).tool_choice).toEqual({ type: 'function', name: 'f' })
    expect(choice({ type: 'auto', disable_parallel_tool_use: true }).parallel_tool_calls).toBe(
      false,
    )
  })

  it('a tool_choice naming a tool among none sent is dropped and named', () => {
    const d = draft({
      messages: [],
      tools: [{ name: 'web_search', type: 'web_search_20250305' }],
      tool_choice: { type: 'any' },
    })
    expect([d.fields.tool_choice, d.dropped]).toEqual([
      undefined,
      ['max_tokens', 'tool_choice', 'tools.web_search'],
    ])
  })

  it('thinking and output_config.effort become the reasoning effort; the thinking mode follows display', () => {
    const r = (body: Record<string, unknown>) => {
      const d = draft({ messages: [], ...body })
      return [d.fields.reasoning, d.thinking]
    }
    expect(r({})).toEqual([undefined, 'none'])
    expect(r({ thinking: { type: 'enabled', budget_tokens: 1024 } })).toEqual([
      { effort: 'low', summary: 'auto' },
      'summarized',
    ])
    expect(r({ thinking: { type: 'enabled', budget_tokens: 8000 } })[0]).toMatchObject({
      effort: 'medium',
    })
    expect(r({ thinking: { type: 'enabled', budget_tokens: 32000 } })[0]).toMatchObject({
      effort: 'high',
    })
    expect(
      r({ thinking: { type: 'adaptive', display: 'omitted' }, output_config: { effort: 'high' } }),
    ).toEqual([{ effort: 'high' }, 'omitted'])
    expect(r({ output_config: { effort: 'max' } })).toEqual([{ effort: 'high' }, 'none'])
    expect(r({ thinking: { type: 'disabled' } })).toEqual([undefined, 'none'])
  })

  it('output_config.format json_schema becomes text.format; unknown top-level keys are dropped', () => {
    const d = draft({
      messages: [],
      output_config: { format: { type: 'json_schema', schema: { $schema: 's', type: 'object' } } },
      temperature: 1,
      top_k: 3,
      stop_sequences: ['x'],
      context_management: {},
    })
    expect(d.fields.text).toEqual({
      format: { type: 'json_schema', name: 'response', schema: { type: 'object' }, strict: false },
    })
    expect(d.dropped).toEqual([
      'context_management',
      'max_tokens',
      'stop_sequences',
      'temperature',
      'top_k',
    ])
  })

  it('the door refuses a body without messages, with the field named', () => {
    expect(checkBody(MessagesRequest, { model: 'm' })).toMatchObject({
      ok: false,
      param: 'messages',
    })
  })
})

const reasoningOut = {
  type: 'reasoning',
  id: 'rs_1',
  summary: [{ type: 'summary_text', text: 'thought' }],
  encrypted_content: 'ENC',
}
const callOut = {
  type: 'function_call',
  id: 'fc_1',
  call_id: 'call_1',
  name: 'f',
  arguments: '{"a":1}',
}

describe('whole-answer translation', () => {
  it('text, refusal, thinking per mode, tool_use, stop reason, usage with cache reads; memo filled', () => {
    const memo = new ReasoningMemo()
    const response = {
      id: 'resp_abc',
      status: 'completed',
      output: [
        reasoningOut,
        { type: 'message', content: [{ type: 'output_text', text: 'hi' }] },
        callOut,
        { type: 'function_call', call_id: 'call_2', name: 'g', arguments: 'not json' },
      ],
      usage: { input_tokens: 10, output_tokens: 4, input_tokens_details: { cached_tokens: 6 } },
    }
    const m = responsesToMessage(response, 'claude-x', 'summarized', memo)
    expect(m).toEqual({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [
        { type: 'thinking', thinking: 'thought', signature: 'codex-reasoning.ENC' },
        { type: 'text', text: 'hi' },
        { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
        { type: 'tool_use', id: 'call_2', name: 'g', input: { _raw: 'not json' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 4,
        output_tokens: 4,
        cache_read_input_tokens: 6,
        cache_creation_input_tokens: 0,
      },
    })
    expect(memo.recall('call_2')[0]!.encrypted_content).toBe('ENC')
    expect(responsesToMessage(response, 'c', 'omitted', memo).content[0]).toEqual({
      type: 'thinking',
      thinking: '',
      signature: 'codex-reasoning.ENC',
    })
    expect(responsesToMessage(response, 'c', 'none', memo).content[0]!.type).toBe('text')
    const refusal = responsesToMessage(
      { output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] }] },
      'c',
      'none',
      memo,
    )
    expect([refusal.content, refusal.stop_reason]).toEqual([
      [{ type: 'text', text: 'no' }],
      'refusal',
    ])
  })

  it('stop reasons from the upstream end', () => {
    const incomplete = (reason: string) => ({
      status: 'incomplete',
      incomplete_details: { reason },
    })
    expect(stopReason({ status: 'completed' }, false, false)).toBe('end_turn')
    expect(stopReason({ status: 'completed' }, true, false)).toBe('tool_use')
    expect(stopReason(incomplete('max_output_tokens'), false, false)).toBe('max_tokens')
    expect(stopReason(incomplete('content_filter'), false, false)).toBe('refusal')
    expect(usageOf(undefined)).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    })
  })
})

const run = (s: MessagesStreamer, events: StreamEvent[]) =>
  events.flatMap((e) => s.map(e)).map((a) => ({ event: a.event, ...a.data }))
const completed = (extra: Record<string, unknown> = {}) =>
  ev('response.completed', {
    response: {
      status: 'completed',
      usage: { input_tokens: 9, output_tokens: 2, input_tokens_details: { cached_tokens: 4 } },
      ...extra,
    },
  })

describe('stream translation', () => {
  it('message_start, a text block, message_delta with usage, message_stop', () => {
    const s = new MessagesStreamer('claude-x', 'none', new ReasoningMemo(), NOW, 'msg_1')
    expect(s.start().data).toMatchObject({
      type: 'message_start',
      message: { id: 'msg_1', model: 'claude-x', content: [] },
    })
    const out = run(s, [
      ev('response.created', { response: {} }),
      ev('response.output_item.added', { item: { type: 'message', id: 'm1' } }),
      ev('response.output_text.delta', { item_id: 'm1', delta: 'He' }),
      ev('response.output_text.delta', { item_id: 'm1', delta: 'llo' }),
      ev('response.output_item.done', { item: { type: 'message', id: 'm1' } }),
      completed(),
      ev('response.output_text.delta', { item_id: 'm1', delta: 'late' }),
    ])
    expect(out).toEqual([
      {
        event: 'content_block_start',
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      },
      {
        event: 'content_block_delta',
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'He' },
      },
      {
        event: 'content_block_delta',
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'llo' },
      },
      { event: 'content_block_stop', type: 'content_block_stop', index: 0 },
      {
        event: 'message_delta',
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: {
          input_tokens: 5,
          output_tokens: 2,
          cache_read_input_tokens: 4,
          cache_creation_input_tokens: 0,
        },
      },
      { event: 'message_stop', type: 'message_stop' },
    ])
    expect(s.finished).toBe(true)
  })

  it('thinking (summarized): thinking_delta per summary part, signature_delta, then a tool_use with input_json_delta', () => {
    const memo = new ReasoningMemo()
    const s = new MessagesStreamer('c', 'summarized', memo, NOW)
    const out = run(s, [
      ev('response.output_item.added', { item: { type: 'reasoning', id: 'rs_1' } }),
      ev('response.reasoning_summary_part.added', { item_id: 'rs_1', summary_index: 0 }),
      ev('response.reasoning_summary_text.delta', { item_id: 'rs_1', delta: 'a' }),
      ev('response.reasoning_summary_part.added', { item_id: 'rs_1', summary_index: 1 }),
      ev('response.reasoning_summary_text.delta', { item_id: 'rs_1', delta: 'b' }),
      ev('response.output_item.done', { item: reasoningOut }),
      ev('response.output_item.added', { item: { ...callOut, arguments: '' } }),
      ev('response.function_call_arguments.delta', { item_id: 'fc_1', delta: '{"a"' }),
      ev('response.function_call_arguments.delta', { item_id: 'fc_1', delta: ':1}' }),
      ev('response.output_item.done', { item: callOut }),
      completed(),
    ])
    const deltas = out
      .filter((e) => e.type === 'content_block_delta')
      .map((e: any) => [e.index, e.delta])
    expect(deltas).toEqual([
      [0, { type: 'thinking_delta', thinking: 'a' }],
      [0, { type: 'thinking_delta', thinking: '\n\n' }],
      [0, { type: 'thinking_delta', thinking: 'b' }],
      [0, { type: 'signature_delta', signature: 'codex-reasoning.ENC' }],
      [1, { type: 'input_json_delta', partial_json: '{"a"' }],
      [1, { type: 'input_json_delta', partial_json: ':1}' }],
    ])
    expect(
      out.filter((e) => e.type === 'content_block_start').map((e: any) => e.content_block),
    ).toEqual([
      { type: 'thinking', thinking: '', signature: '' },
      { type: 'tool_use', id: 'call_1', name: 'f', input: {} },
    ])
    expect((out.find((e) => e.type === 'message_delta') as any).delta.stop_reason).toBe('tool_use')
    expect(memo.recall('call_1')).toHaveLength(1)
  })

  it('thinking omitted: a signature-only block; no thinking: no block, the memo keeps the reasoning', () => {
    const omitted = new MessagesStreamer('c', 'omitted', new ReasoningMemo(), NOW)
    const events = [
      ev('response.output_item.added', { item: { type: 'reasoning', id: 'rs_1' } }),
      ev('response.reasoning_summary_text.delta', { item_id: 'rs_1', delta: 'hidden' }),
      ev('response.output_item.done', { item: reasoningOut }),
    ]
    expect(run(omitted, events).map((e: any) => e.delta?.type ?? e.type)).toEqual([
      'content_block_start',
      'signature_delta',
      'content_block_stop',
    ])
    const memo = new ReasoningMemo()
    const none = new MessagesStreamer('c', 'none', memo, NOW)
    expect(
      run(none, [...events, ev('response.output_item.done', { item: callOut })]).map((e) => e.type),
    ).toEqual(['content_block_start', 'content_block_delta', 'content_block_stop']) // the call seen only in its .done event, as one block
    run(none, [completed()])
    expect(memo.recall('call_1')[0]!.encrypted_content).toBe('ENC')
  })

  it('a refusal streams as text with stop_reason refusal; an incomplete end is max_tokens', () => {
    const s = new MessagesStreamer('c', 'none', new ReasoningMemo(), NOW)
    const out = run(s, [ev('response.refusal.delta', { item_id: 'm', delta: 'no' }), completed()])
    expect((out.find((e) => e.type === 'message_delta') as any).delta.stop_reason).toBe('refusal')
    const t = new MessagesStreamer('c', 'none', new ReasoningMemo(), NOW)
    const cut = run(t, [
      ev('response.incomplete', {
        response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
      }),
    ])
    expect((cut[0] as any).delta.stop_reason).toBe('max_tokens')
  })

  it('an in-stream failure keeps its code: usage limit with its reset, rate limit, overloaded, other', () => {
    const fail = (data: Record<string, unknown>, type = 'response.failed') => {
      const s = new MessagesStreamer('c', 'none', new ReasoningMemo(), NOW)
      expect(s.map(ev(type, data))).toEqual([])
      expect(s.finished).toBe(false)
      return s.failure!
    }
    const limit = fail({
      response: { error: { code: 'usage_limit_reached', resets_in_seconds: 60 } },
    })
    expect(limit.code).toBe('usage_limit_reached')
    expect(limit.extra).toMatchObject({ retry_after_s: 60 })
    expect(fail({ error: { code: 'rate_limit_exceeded' } }, 'error').code).toBe('rate_limited')
    expect(
      fail({ response: { error: { code: 'context_length_exceeded', message: 'too long' } } }).code,
    ).toBe('context_length_exceeded')
    expect(fail({ response: { error: { code: 'server_is_overloaded' } } }).code).toBe(
      'upstream_error',
    )
    expect(fail({ response: { error: { code: 'weird' } } })).toMatchObject({
      code: 'upstream_error',
      retryable: true,
    })
  })
})

describe('errors, models, memo, config', () => {
  it('Anthropic error types by status, and the envelope keeps the code', () => {
    expect([400, 401, 403, 404, 413, 429, 500, 502, 503, 529].map(anthropicErrorType)).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'invalid_request_error',
      'rate_limit_error',
      'api_error',
      'api_error',
      'overloaded_error',
      'overloaded_error',
    ])
    expect(
      anthropicEnvelope(429, {
        message: 'm',
        type: 'rate_limit_error',
        code: 'usage_limit_reached',
        param: null,
      }),
    ).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'm', code: 'usage_limit_reached' },
    })
    const req = (url: string, headers: Record<string, string> = {}) => ({ url, headers }) as any
    expect(wantsAnthropic(req('/v1/messages?beta=true'))).toBe(true)
    expect(wantsAnthropic(req('/v1/messages/count_tokens'))).toBe(true)
    expect(wantsAnthropic(req('/v1/models', { 'anthropic-version': '2023-06-01' }))).toBe(true)
    expect(wantsAnthropic(req('/v1/models'))).toBe(false)
    expect(wantsAnthropic(req('/v1/messagesx'))).toBe(false)
  })

  it('maps Claude ids through the table; Codex slugs pass as they are', () => {
    const models = [
      { slug: 'big', visibility: 'list', description: 'Workhorse' },
      { slug: 'quick', visibility: 'list', description: 'Fast and affordable' },
      { slug: 'secret', visibility: 'hide', description: 'fast' },
    ] as RawModel[]
    const table = loadConfig({ HOME: '/tmp/x' }).anthropicModels
    const map = (id: string) => codexSlugFor(id, table, models)
    expect(map('claude-sonnet-4-5')).toBe('big')
    expect(map('claude-opus-4-1-20250805')).toBe('big')
    expect(map('claude-haiku-4-5')).toBe('quick')
    expect(map('claude-3-5-haiku-latest')).toBe('quick')
    expect(map('sonnet')).toBe('big')
    expect(map('openai-codex/secret')).toBe('secret')
    expect(map('quick')).toBe('quick')
    expect(map('llama')).toBe('llama')
    expect(smallModel(models.slice(0, 1))).toBe('big')
    const own = loadConfig({
      HOME: '/tmp/x',
      CHATGPT_CODEX_ANTHROPIC_MODELS: 'claude-*-opus-*=secret, *=<small>',
    })
    expect(own.anthropicModels).toEqual([
      { pattern: 'claude-*-opus-*', target: 'secret' },
      { pattern: '*', target: '<small>' },
    ])
    expect(codexSlugFor('claude-4-opus-x', own.anthropicModels, models)).toBe('secret')
    expect(codexSlugFor('claude-sonnet', own.anthropicModels, models)).toBe('quick')
    expect(() => loadConfig({ HOME: '/tmp/x', CHATGPT_CODEX_ANTHROPIC_MODELS: 'claude' })).toThrow(
      /CHATGPT_CODEX_ANTHROPIC_MODELS takes a comma list/,
    )
  })

  it('the reasoning memo is bounded, oldest out', () => {
    const memo = new ReasoningMemo(2)
    const item = [{ type: 'reasoning' as const, summary: [], encrypted_content: 'E' }]
    memo.remember(['a'], item)
    memo.remember(['b'], item)
    memo.remember(['c'], item)
    memo.remember(['d'], [])
    expect([memo.size, memo.recall('a'), memo.recall('c')]).toEqual([2, [], item])
  })
})
