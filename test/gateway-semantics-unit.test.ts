/**
 * Issue 20's gateway pieces in-process: the one failure mapping (HTTP and in-stream alike), the
 * conversation key, fast mode's tier check, and tool calls that arrive only in `.done`.
 */
import { describe, expect, it } from 'vitest'
import { streamFailure, upstreamError } from '../src/backend/failure.js'
import { RawModel, toModelView } from '../src/backend/models.js'
import { normalizeRequest, resolveModel, toUpstream } from '../src/backend/upstream.js'
import { StreamEvent } from '../src/backend/sse.js'
import { chatDraft } from '../src/gateway/chat.js'
import { ChatStreamer } from '../src/gateway/chat-reply.js'
import { applyConversationKey, conversationKey } from '../src/gateway/conversation.js'
import { toFailure } from '../src/result.js'

const now = Date.UTC(2026, 11, 3, 10, 0, 0)
const nowS = now / 1000

describe('one failure mapping for HTTP answers and stream events', () => {
  const limit = {
    type: 'usage_limit_reached',
    message: 'The usage limit has been reached',
    plan_type: 'plus',
    resets_at: nowS + 600,
  }

  it('a usage limit is usage_limit_reached with resets_at, whichever way it arrives', () => {
    const http = toFailure(upstreamError(429, JSON.stringify({ error: limit }), {}, now))
    const failed = toFailure(
      streamFailure(
        { type: 'response.failed', response: { error: { ...limit, code: 'usage_limit_reached' } } },
        now,
      ),
    )
    const ws = toFailure(streamFailure({ type: 'error', status: 429, error: limit }, now))
    const flat = toFailure(
      streamFailure({ type: 'error', code: 'usage_limit_reached', message: 'x' }, now),
    )
    const want = {
      code: 'usage_limit_reached',
      resets_at: new Date((nowS + 600) * 1000).toISOString(),
      plan: 'plus',
      retry_after_s: 600,
    }
    expect(http).toMatchObject(want)
    expect(failed).toMatchObject(want)
    expect(ws).toMatchObject(want)
    expect(flat).toMatchObject({ code: 'usage_limit_reached' })
  })

  it('context too long, refusals, rate limits and unknown codes keep their meaning and code', () => {
    const ev = (code: string, message = 'm') =>
      toFailure(
        streamFailure({ type: 'response.failed', response: { error: { code, message } } }, now),
      )
    expect(ev('context_length_exceeded')).toMatchObject({
      code: 'context_length_exceeded',
      upstream_code: 'context_length_exceeded',
      retryable: false,
    })
    const http = toFailure(
      upstreamError(
        400,
        JSON.stringify({ error: { code: 'context_length_exceeded', message: 'm' } }),
        {},
        now,
      ),
    )
    expect(http.code).toBe('context_length_exceeded')
    expect(ev('invalid_prompt', 'refused')).toMatchObject({
      code: 'upstream_rejected',
      upstream_code: 'invalid_prompt',
    })
    expect(ev('rate_limit_exceeded', 'Please try again in 1.5s')).toMatchObject({
      code: 'rate_limited',
      retry_after_s: 2,
    })
    expect(ev('server_is_overloaded')).toMatchObject({
      code: 'upstream_error',
      retryable: true,
      upstream_code: 'server_is_overloaded',
    })
    expect(toFailure(streamFailure({ type: 'error' }, now))).toMatchObject({
      code: 'upstream_error',
      retryable: true,
    })
  })
})

describe('one conversation, one key', () => {
  const catalog = { models: [{ slug: 'gpt-5.5', base_instructions: 'Base.' }] as any, known: true }
  const SECRET_TEXT = 'the-first-question-about-zebras'
  /** The requests of a chat conversation's turns 1..n, as the gateway builds them. */
  const turns = (system: string, first: string, n: number) => {
    const messages: any[] = [
      { role: 'system', content: system },
      { role: 'user', content: first },
    ]
    const out = []
    for (let k = 1; k <= n; k++) {
      out.push(
        toUpstream(
          chatDraft({ model: 'gpt-5.5', messages: [...messages] } as any),
          resolveModel('gpt-5.5', catalog),
        ),
      )
      messages.push(
        { role: 'assistant', content: `answer ${k}` },
        { role: 'user', content: `turn ${k + 1}` },
      )
    }
    return out
  }

  it('five turns of one conversation share one key and session id; the key holds no prompt text', () => {
    const keys = turns('Be brief.', SECRET_TEXT, 5).map(conversationKey)
    expect(new Set(keys.map((k) => k.promptCacheKey)).size).toBe(1)
    expect(new Set(keys.map((k) => k.sessionId)).size).toBe(1)
    expect(keys[0]!.source).toBe('derived')
    expect(keys[0]!.promptCacheKey).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    for (const k of keys) {
      expect(k.promptCacheKey).not.toContain('zebra')
      expect(k.promptCacheKey.replace(/-/g, '')).not.toContain(Buffer.from('zebra').toString('hex'))
    }
    // The Responses dialect with the same conversation gets a key of its own rule, stable too.
    const r1 = normalizeRequest(
      { model: 'gpt-5.5', instructions: 'Be brief.', input: SECRET_TEXT },
      catalog,
    )
    const r2 = normalizeRequest(
      {
        model: 'gpt-5.5',
        instructions: 'Be brief.',
        input: [
          { role: 'user', content: SECRET_TEXT, id: 'msg_1' },
          { role: 'assistant', content: 'answer 1' },
          { role: 'user', content: 'turn 2', id: 'msg_2' },
        ],
      },
      catalog,
    )
    expect(conversationKey(r1).promptCacheKey).toBe(conversationKey(r2).promptCacheKey)
  })

  it('the derived key of a fixed conversation is pinned: a change starts every conversation anew', () => {
    // Pinned from 0.2.0: an upgraded gateway must not throw away every conversation's cache.
    const text = (t: string) => [{ type: 'input_text', text: t }]
    const pinned = {
      slug: 'gpt-5.5',
      dropped: [],
      body: {
        model: 'gpt-5.5',
        input: [
          { type: 'message', role: 'developer', content: text('Be brief.') },
          { type: 'message', role: 'user', content: text('Hello') },
        ],
        instructions: 'x',
        store: false,
        stream: true,
      },
    } as any
    expect(conversationKey(pinned).promptCacheKey).toBe('09f1e1a3-bfe8-8b3c-b328-faa2f31f29ef')
  })

  it('different conversations differ: another first message, another system prompt, another model', () => {
    const base = conversationKey(turns('Be brief.', 'Hello', 1)[0]!).promptCacheKey
    expect(conversationKey(turns('Be brief.', 'Hello!', 1)[0]!).promptCacheKey).not.toBe(base)
    expect(conversationKey(turns('Be long.', 'Hello', 1)[0]!).promptCacheKey).not.toBe(base)
    const other = {
      models: [...catalog.models, { slug: 'gpt-6-sol', base_instructions: 'Base.' }],
      known: true,
    }
    const sol = toUpstream(
      chatDraft({
        model: 'gpt-6-sol',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello' },
        ],
      } as any),
      resolveModel('gpt-6-sol', other),
    )
    expect(conversationKey(sol).promptCacheKey).not.toBe(base)
  })

  it("a client's own prompt_cache_key wins, and gives a stable session id", () => {
    const own = normalizeRequest(
      { model: 'gpt-5.5', input: 'x', prompt_cache_key: 'thread-42' },
      catalog,
    )
    const k = applyConversationKey(own)
    expect(k).toMatchObject({ promptCacheKey: 'thread-42', source: 'client' })
    expect(own.body.prompt_cache_key).toBe('thread-42')
    expect(k.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(
      applyConversationKey(
        normalizeRequest({ model: 'gpt-5.5', input: 'y', prompt_cache_key: 'thread-42' }, catalog),
      ).sessionId,
    ).toBe(k.sessionId)
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e'
    expect(
      conversationKey(
        normalizeRequest({ model: 'gpt-5.5', input: 'x', prompt_cache_key: uuid }, catalog),
      ).sessionId,
    ).toBe(uuid)
  })
})

describe('fast mode', () => {
  const priority = { id: 'priority', name: 'Fast', description: '1.5x speed' }
  const catalog = {
    models: [
      { slug: 'gpt-5.5', base_instructions: 'B', service_tiers: [priority] },
      { slug: 'plain', base_instructions: 'B' },
      { slug: 'odd', base_instructions: 'B', service_tiers: [{ name: 'no id' }, 7] },
    ] as any,
    known: true,
  }

  it('forwards service_tier when the model offers it (by id or name), else drops and names it', () => {
    const on = normalizeRequest({ model: 'gpt-5.5', input: 'x', service_tier: 'priority' }, catalog)
    expect(on.body.service_tier).toBe('priority')
    expect(on.dropped).toEqual([])
    const named = normalizeRequest({ model: 'gpt-5.5', input: 'x', service_tier: 'fast' }, catalog)
    expect(named.body.service_tier).toBe('priority')
    for (const [model, tier] of [
      ['plain', 'priority'],
      ['gpt-5.5', 'flex'],
      ['gpt-5.5', 'default'],
      ['odd', 'priority'],
    ]) {
      const off = normalizeRequest({ model: model!, input: 'x', service_tier: tier }, catalog)
      expect('service_tier' in off.body).toBe(false)
      expect(off.dropped).toEqual(['service_tier'])
    }
    const chat = toUpstream(
      chatDraft({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'x' }],
        service_tier: 'priority',
        temperature: 1,
      } as any),
      resolveModel('gpt-5.5', catalog),
    )
    expect(chat.body.service_tier).toBe('priority')
    expect(chat.dropped).toEqual(['temperature'])
  })

  it('models show each model its tiers; malformed tiers are skipped, never fatal', () => {
    const view = (i: number) =>
      toModelView(RawModel.parse({ ...catalog.models[i], visibility: 'list' }))
    expect(view(0).service_tiers).toEqual([priority])
    expect(view(1).service_tiers).toEqual([])
    expect(view(2).service_tiers).toEqual([])
  })
})

describe('chat chunks from output_item.done', () => {
  const ev = (type: string, data: Record<string, unknown>) =>
    new StreamEvent(type, JSON.stringify({ type, ...data }))
  const call = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f' }

  it('a call only in done goes out whole; one with fewer deltas than arguments gets the rest', () => {
    const s = new ChatStreamer('m', false, () => now)
    const whole = s.map(
      ev('response.output_item.done', { item: { ...call, arguments: '{"a":1}' } }),
    )
    expect(whole[0]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ])
    const t = new ChatStreamer('m', false, () => now)
    const second = { ...call, id: 'fc_2', call_id: 'call_2' }
    t.map(ev('response.output_item.added', { item: { ...second, arguments: '' } }))
    t.map(ev('response.function_call_arguments.delta', { item_id: 'fc_2', delta: '{"a"' }))
    const rest = t.map(
      ev('response.output_item.done', { item: { ...second, arguments: '{"a":2}' } }),
    )
    expect(rest[0]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, function: { arguments: ':2}' } },
    ])
    // A fully streamed call adds nothing at done.
    t.map(ev('response.function_call_arguments.delta', { item_id: 'fc_2', delta: '' }))
    expect(
      t.map(ev('response.output_item.done', { item: { ...second, arguments: '{"a":2}' } })),
    ).toEqual([])
  })
})
