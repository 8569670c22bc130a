/**
 * Responses -> Anthropic Messages, streamed: upstream events become `message_start`,
 * `content_block_start`/`_delta`/`_stop` (`text_delta`, `input_json_delta`, `thinking_delta`,
 * `signature_delta`), `message_delta` with the stop reason and usage, and `message_stop`. An
 * upstream failure inside the stream is kept as its coded error for the route to answer.
 * @see docs/anthropic.md#streaming
 */
import type { EventData, OutputItem } from '../backend/events.js'
import type { StreamEvent } from '../backend/sse.js'
import type { SkillError } from '../result.js'
import { streamFailure } from '../backend/failure.js'
import type { ThinkingMode } from './messages-fields.js'
import { messageId, reasoningItem, stopReason, usageOf, type StopReason } from './messages-reply.js'
import { toSignature, type ReasoningItem, type ReasoningMemo } from './reasoning-memo.js'

/** One Anthropic SSE event: its name and its data (which repeats the name as `type`). */
export interface AnthropicEvent {
  event: string
  data: Record<string, unknown> & { type: string }
}

const ev = (type: string, data: Record<string, unknown> = {}): AnthropicEvent => ({
  event: type,
  data: { type, ...data },
})

/** Turns upstream events into Anthropic events, one call per event. */
export class MessagesStreamer {
  private index = -1
  /** The open block: which upstream item it belongs to, and its kind. */
  private open: { item: string; kind: 'text' | 'thinking' | 'tool_use' } | undefined
  private calls: string[] = []
  private reasoning: ReasoningItem[] = []
  private refused = false
  /** Set once the stream ended well (`message_stop` was produced). */
  finished = false
  /** Set when the upstream failed inside the stream: the coded error it stands for. */
  failure: SkillError | undefined

  constructor(
    private readonly model: string,
    private readonly thinking: ThinkingMode,
    private readonly memo: ReasoningMemo,
    private readonly now: () => number,
    private readonly id = messageId(undefined),
  ) {}

  /** `message_start`, with an empty message. */
  start(): AnthropicEvent {
    return ev('message_start', {
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageOf(undefined),
      },
    })
  }

  private begin(item: string, block: Record<string, unknown>): AnthropicEvent[] {
    const out = this.stop()
    this.index++
    this.open = { item, kind: block.type as 'text' }
    out.push(ev('content_block_start', { index: this.index, content_block: block }))
    return out
  }

  private stop(): AnthropicEvent[] {
    if (!this.open) return []
    this.open = undefined
    return [ev('content_block_stop', { index: this.index })]
  }

  private delta(delta: Record<string, unknown>): AnthropicEvent {
    return ev('content_block_delta', { index: this.index, delta })
  }

  /** Text into the open text block of `item`, opening one when needed. */
  private text(item: string, text: string): AnthropicEvent[] {
    const out =
      this.open?.item === item && this.open.kind === 'text'
        ? []
        : this.begin(item, { type: 'text', text: '' })
    out.push(this.delta({ type: 'text_delta', text }))
    return out
  }

  private added(item: OutputItem): AnthropicEvent[] {
    const id = String(item.id ?? '')
    if (item.type === 'function_call') {
      const block = { type: 'tool_use', id: String(item.call_id ?? ''), name: item.name, input: {} }
      return this.begin(id, block)
    }
    if (item.type === 'reasoning' && this.thinking === 'summarized') {
      return this.begin(id, { type: 'thinking', thinking: '', signature: '' })
    }
    return []
  }

  private done(item: OutputItem): AnthropicEvent[] {
    const id = String(item.id ?? '')
    if (item.type === 'function_call') {
      this.calls.push(String(item.call_id ?? ''))
      if (this.open?.item === id) return this.stop()
      // A call seen only in its `.done` event: its block in one go.
      const out = this.begin(id, {
        type: 'tool_use',
        id: String(item.call_id ?? ''),
        name: item.name,
        input: {},
      })
      out.push(this.delta({ type: 'input_json_delta', partial_json: String(item.arguments ?? '') }))
      return [...out, ...this.stop()]
    }
    if (item.type === 'reasoning') {
      const r = reasoningItem(item)
      if (r) this.reasoning.push(r)
      if (this.thinking === 'none') return []
      const out =
        this.open?.item === id
          ? []
          : r
            ? this.begin(id, { type: 'thinking', thinking: '', signature: '' })
            : []
      if (r && this.open?.item === id) {
        out.push(
          this.delta({ type: 'signature_delta', signature: toSignature(r.encrypted_content) }),
        )
      }
      return [...out, ...this.stop()]
    }
    return this.open?.item === id ? this.stop() : []
  }

  private end(d: EventData): AnthropicEvent[] {
    const response = d.response ?? {}
    const reason: StopReason = stopReason(response, this.calls.length > 0, this.refused)
    this.memo.remember(this.calls, this.reasoning)
    this.finished = true
    return [
      ...this.stop(),
      ev('message_delta', {
        delta: { stop_reason: reason, stop_sequence: null },
        usage: usageOf(response.usage),
      }),
      ev('message_stop'),
    ]
  }

  /** The Anthropic events for one upstream event (often none). Never fails. */
  map(e: StreamEvent): AnthropicEvent[] {
    if (this.finished || this.failure) return []
    const d = e.data
    switch (e.type) {
      case 'response.output_item.added':
        return d.item ? this.added(d.item) : []
      case 'response.output_item.done':
        return d.item ? this.done(d.item) : []
      case 'response.output_text.delta':
        return this.text(String(d.item_id ?? ''), String(d.delta ?? ''))
      case 'response.refusal.delta':
        this.refused = true
        return this.text(String(d.item_id ?? ''), String(d.delta ?? ''))
      case 'response.function_call_arguments.delta':
        if (this.open?.kind !== 'tool_use') return []
        return [this.delta({ type: 'input_json_delta', partial_json: String(d.delta ?? '') })]
      case 'response.reasoning_summary_part.added':
        // Summary parts are paragraphs of one thinking block.
        if (this.open?.kind !== 'thinking' || !Number(d.summary_index ?? 0)) return []
        return [this.delta({ type: 'thinking_delta', thinking: '\n\n' })]
      case 'response.reasoning_summary_text.delta':
        if (this.open?.kind !== 'thinking') return []
        return [this.delta({ type: 'thinking_delta', thinking: String(d.delta ?? '') })]
      case 'response.completed':
      case 'response.incomplete':
        return this.end(d)
      case 'response.failed':
      case 'error':
        this.failure = streamFailure(d, this.now())
        return []
      default:
        return []
    }
  }
}
