/**
 * The shapes of the Codex backend's stream events, as far as this project reads them. They are
 * the backend's JSON, not checked field by field (a stream is read on the hot path): every field
 * is optional, and one read for output goes through `String()` or `Number()`.
 * @see docs/protocol.md#stream-events
 */
import type { ContentPart } from './upstream-types.js'

/** Token counts of one response. */
export interface Usage {
  input_tokens?: unknown
  output_tokens?: unknown
  total_tokens?: unknown
  input_tokens_details?: { cached_tokens?: unknown }
  output_tokens_details?: { reasoning_tokens?: unknown }
}

/** One output item: a message, a reasoning item, a function call, ... */
export interface OutputItem {
  type?: string
  id?: unknown
  role?: string
  content?: ContentPart[] | unknown
  summary?: { text?: unknown }[] | unknown
  call_id?: unknown
  name?: unknown
  arguments?: unknown
  [k: string]: unknown
}

/** A response object, as `response.created` ... `response.completed` carry it. */
export interface ResponseObject {
  id?: unknown
  created_at?: unknown
  model?: unknown
  status?: unknown
  output?: OutputItem[]
  usage?: Usage
  incomplete_details?: { reason?: unknown } | null
  error?: unknown
  [k: string]: unknown
}

/** The data of one stream event (every type shares these optional fields). */
export interface EventData {
  type?: unknown
  delta?: unknown
  item?: OutputItem
  item_id?: unknown
  output_index?: unknown
  response?: ResponseObject
  error?: unknown
  [k: string]: unknown
}

/** The answer as the gateway returns it whole (and the SDKs read it). */
export interface CompleteResponse {
  id: unknown
  object: 'response'
  created_at: unknown
  model: unknown
  status: unknown
  output: OutputItem[]
  output_text: string
  usage: {
    input_tokens: number
    input_tokens_details: { cached_tokens: number }
    output_tokens: number
    output_tokens_details: { reasoning_tokens: number }
    total_tokens: number
  }
  incomplete_details?: { reason?: unknown } | null
}

/** The parts of a message item's content (none when it has no list). */
export const partsOf = (item: OutputItem): ContentPart[] =>
  Array.isArray(item.content) ? (item.content as ContentPart[]) : []
