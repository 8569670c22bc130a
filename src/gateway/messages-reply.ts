/**
 * Responses -> Anthropic Messages, the whole answer: a complete `message` from a complete
 * response (text, thinking, tool_use blocks, the stop reason, usage with cache reads), and the
 * pieces the streamed answer shares (usage, stop reason, reasoning kept for the next turn).
 * @see docs/anthropic.md#what-is-translated
 */
import { randomBytes } from 'node:crypto'
import type { OutputItem, ResponseObject, Usage } from '../backend/events.js'
import { partsOf } from '../backend/events.js'
import type { ThinkingMode } from './messages-fields.js'
import { toSignature, type ReasoningItem, type ReasoningMemo } from './reasoning-memo.js'

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal'

/** Anthropic's usage: input excludes the cached part, which is `cache_read_input_tokens`. */
export interface MessagesUsage {
  input_tokens: number
  output_tokens: number
  cache_read_input_tokens: number
  cache_creation_input_tokens: number
}

/** A content block of the answer. */
export type AnswerBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }

/** The complete `message`. */
export interface MessagesAnswer {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnswerBlock[]
  stop_reason: StopReason
  stop_sequence: null
  usage: MessagesUsage
}

/** Anthropic usage from the upstream's. Never fails. */
export function usageOf(u: Usage | undefined): MessagesUsage {
  const input = Number(u?.input_tokens ?? 0)
  const cached = Math.min(input, Number(u?.input_tokens_details?.cached_tokens ?? 0))
  return {
    input_tokens: input - cached,
    output_tokens: Number(u?.output_tokens ?? 0),
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  }
}

/** The stop reason from how the upstream ended. Never fails. */
export function stopReason(
  response: Pick<ResponseObject, 'status' | 'incomplete_details'>,
  hadToolCall: boolean,
  refused: boolean,
): StopReason {
  const reason = String(response.incomplete_details?.reason ?? '')
  if (refused || reason === 'content_filter') return 'refusal'
  if (hadToolCall) return 'tool_use'
  if (response.status === 'incomplete' && /max_output_tokens|length/.test(reason)) {
    return 'max_tokens'
  }
  return 'end_turn'
}

/** The message id for a response id (`resp_x` -> `msg_x`). */
export const messageId = (id: unknown) =>
  `msg_${String(id ?? randomBytes(12).toString('hex')).replace(/^resp_/, '')}`

/** A reasoning output item as the input item that gives it back, when it can be given back. */
export function reasoningItem(item: OutputItem): ReasoningItem | undefined {
  if (typeof item.encrypted_content !== 'string' || !item.encrypted_content) return undefined
  return {
    type: 'reasoning',
    summary: [{ type: 'summary_text', text: summaryText(item) }].filter((s) => s.text),
    encrypted_content: item.encrypted_content,
  } as ReasoningItem
}

/** The reasoning summary's text. */
export const summaryText = (item: OutputItem) =>
  (Array.isArray(item.summary) ? (item.summary as { text?: unknown }[]) : [])
    .map((s) => String(s.text ?? ''))
    .join('\n\n')

/** Parses a call's arguments; text that is not JSON is kept under `_raw` rather than lost. */
export function parseInput(args: unknown): unknown {
  try {
    const v: unknown = JSON.parse(String(args ?? '') || '{}')
    return v && typeof v === 'object' ? v : { _raw: String(args) }
  } catch {
    return { _raw: String(args) }
  }
}

/**
 * A complete Anthropic `message` from a complete Responses object. Reasoning becomes a thinking
 * block (signed with its encrypted content) when the client asked for thinking, and is kept in
 * `memo` under the answer's tool call ids either way. Never fails.
 * @see docs/anthropic.md#what-is-translated
 */
export function responsesToMessage(
  response: Pick<ResponseObject, 'id' | 'status' | 'output' | 'usage' | 'incomplete_details'>,
  model: string,
  thinking: ThinkingMode,
  memo: ReasoningMemo,
): MessagesAnswer {
  const content: AnswerBlock[] = []
  const reasoning: ReasoningItem[] = []
  const calls: string[] = []
  let refused = false
  for (const item of response.output ?? []) {
    if (item.type === 'reasoning') {
      const r = reasoningItem(item)
      if (r) reasoning.push(r)
      if (r && thinking !== 'none') {
        const text = thinking === 'summarized' ? summaryText(item) : ''
        content.push({
          type: 'thinking',
          thinking: text,
          signature: toSignature(r.encrypted_content),
        })
      }
    } else if (item.type === 'message') {
      for (const p of partsOf(item)) {
        if (p.type === 'output_text') content.push({ type: 'text', text: String(p.text ?? '') })
        if (p.type === 'refusal') {
          refused = true
          content.push({ type: 'text', text: String(p.refusal ?? '') })
        }
      }
    } else if (item.type === 'function_call') {
      const id = String(item.call_id ?? '')
      calls.push(id)
      content.push({
        type: 'tool_use',
        id,
        name: String(item.name ?? ''),
        input: parseInput(item.arguments),
      })
    }
  }
  memo.remember(calls, reasoning)
  return {
    id: messageId(response.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason(response, calls.length > 0, refused),
    stop_sequence: null,
    usage: usageOf(response.usage),
  }
}
