/**
 * Responses -> Chat Completions, the answer side: a complete `chat.completion` from a complete
 * response, and `chat.completion.chunk`s from stream events. Output objects carry every field
 * the official SDKs read.
 * @see docs/gateway.md#chat-completions
 */
import { randomBytes } from 'node:crypto'
import type { OutputItem, ResponseObject, Usage } from '../backend/events.js'
import { outputText } from '../backend/collect.js'
import type { StreamEvent } from '../backend/sse.js'
import type { ChatChunk, ChatCompletion, ChatDelta, ChatUsage, FinishReason } from './chat-types.js'

const usageOf = (u: Usage | undefined): ChatUsage => ({
  prompt_tokens: Number(u?.input_tokens ?? 0),
  completion_tokens: Number(u?.output_tokens ?? 0),
  total_tokens: Number(
    u?.total_tokens ?? Number(u?.input_tokens ?? 0) + Number(u?.output_tokens ?? 0),
  ),
  prompt_tokens_details: { cached_tokens: Number(u?.input_tokens_details?.cached_tokens ?? 0) },
  completion_tokens_details: {
    reasoning_tokens: Number(u?.output_tokens_details?.reasoning_tokens ?? 0),
  },
})

function finishReason(
  response: Pick<ResponseObject, 'status' | 'incomplete_details'>,
  hadToolCall: boolean,
): FinishReason {
  if (hadToolCall) return 'tool_calls'
  const reason = String(response.incomplete_details?.reason ?? '')
  if (response.status === 'incomplete' && /max_output_tokens|length/.test(reason)) return 'length'
  return 'stop'
}

const reasoningText = (output: OutputItem[]) =>
  output
    .filter((i) => i.type === 'reasoning')
    .flatMap((i) => (Array.isArray(i.summary) ? (i.summary as { text?: unknown }[]) : []))
    .map((s) => String(s.text ?? ''))
    .join('')

/**
 * A complete `chat.completion` from a complete Responses object: text, reasoning as
 * `reasoning_content`, function calls as `tool_calls`, the finish reason and usage. `now` is the
 * injected clock (read only when the response has no `created_at`). Never fails.
 * @see docs/gateway.md#chat-completions
 */
export function responsesToChat(
  response: Pick<
    ResponseObject,
    'id' | 'created_at' | 'status' | 'output' | 'usage' | 'incomplete_details'
  >,
  model: string,
  now: () => number,
): ChatCompletion {
  const output = response.output ?? []
  const calls = output.filter((i) => i.type === 'function_call')
  const reasoning = reasoningText(output)
  const text = outputText(output)
  return {
    id: `chatcmpl-${String(response.id ?? randomBytes(8).toString('hex')).replace(/^resp_/, '')}`,
    object: 'chat.completion',
    created: Number(response.created_at ?? Math.floor(now() / 1000)),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: calls.length && !text ? null : text,
          refusal: null,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(calls.length
            ? {
                tool_calls: calls.map((c) => ({
                  id: c.call_id,
                  type: 'function' as const,
                  function: { name: c.name, arguments: c.arguments ?? '' },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: finishReason(response, calls.length > 0),
      },
    ],
    usage: usageOf(response.usage),
  }
}

/**
 * Turns upstream events into `chat.completion.chunk` payloads, one call per event. `now` is the
 * injected clock (the chunks' `created`).
 * @see docs/gateway.md#chat-completions
 */
export class ChatStreamer {
  private readonly id = `chatcmpl-${randomBytes(12).toString('hex')}`
  private readonly created: number
  /** Function calls by item id: their index in `tool_calls`, the arguments sent so far. */
  private calls = new Map<string, { index: number; sent: string }>()
  /** True once a completion (or an incomplete end) went by: only then may `[DONE]` follow. */
  finished = false

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
    now: () => number,
  ) {
    this.created = Math.floor(now() / 1000)
  }

  private chunk(delta: ChatDelta, finish: FinishReason | null = null): ChatChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    }
  }

  /** A call's first chunk: its index, id, type and name, with `args` (all of them, or none yet). */
  private callStart(item: OutputItem, args: string): ChatChunk {
    const index = this.calls.size
    this.calls.set(String(item.id), { index, sent: args })
    return this.chunk({
      tool_calls: [
        {
          index,
          id: item.call_id,
          type: 'function',
          function: { name: item.name, arguments: args },
        },
      ],
    })
  }

  /** The leading chunk: the role, before any content. */
  first(): ChatChunk {
    return this.chunk({ role: 'assistant', content: '' })
  }

  /** Chunks for one upstream event (often none). Never fails. */
  map(ev: StreamEvent): ChatChunk[] {
    const d = ev.data
    switch (ev.type) {
      case 'response.output_text.delta':
        return [this.chunk({ content: String(d.delta ?? '') })]
      case 'response.reasoning_summary_text.delta':
        return [this.chunk({ reasoning_content: String(d.delta ?? '') })]
      case 'response.output_item.added': {
        const item = d.item
        if (item?.type !== 'function_call') return []
        return [this.callStart(item, '')]
      }
      case 'response.function_call_arguments.delta': {
        const call = this.calls.get(String(d.item_id))
        const delta = String(d.delta ?? '')
        if (call) call.sent += delta
        const index = call?.index ?? 0
        return [this.chunk({ tool_calls: [{ index, function: { arguments: delta } }] })]
      }
      case 'response.output_item.done': {
        // Some streams send a call only here, with no `added` and no deltas: it goes out whole.
        // One whose deltas were fewer than its arguments gets the rest.
        const item = d.item
        if (item?.type !== 'function_call') return []
        const args = String(item.arguments ?? '')
        const call = this.calls.get(String(item.id))
        if (!call) return [this.callStart(item, args)]
        if (args.length <= call.sent.length || !args.startsWith(call.sent)) return []
        const rest = args.slice(call.sent.length)
        call.sent = args
        return [this.chunk({ tool_calls: [{ index: call.index, function: { arguments: rest } }] })]
      }
      case 'response.completed':
      case 'response.incomplete': {
        this.finished = true
        const response = d.response ?? {}
        const out = [this.chunk({}, finishReason(response, this.calls.size > 0))]
        if (this.includeUsage) {
          out.push({ ...this.chunk({}), choices: [], usage: usageOf(response.usage) })
        }
        return out
      }
      default:
        return []
    }
  }
}
