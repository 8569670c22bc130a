/**
 * The typed request, from a dialect to the backend client: what a caller's items look like
 * ({@link InputItem}), the draft every dialect translates into ({@link UpstreamDraft}), the model
 * resolved once ({@link ResolvedModel}) and the request that goes out ({@link UpstreamRequest}).
 * @see docs/protocol.md#responses-endpoint
 */

/** A content part (`input_text`, `input_image`, `output_text`, ...); the backend judges the rest. */
export interface ContentPart {
  type: string
  [k: string]: unknown
}

/** A Responses input item as a caller may send it: typed (`{type, ...}`) or `{role, content}`. */
export interface InputItem {
  type?: string
  role?: string
  content?: string | ContentPart[] | null
  [k: string]: unknown
}

/** An item as it goes upstream: always typed; a message's content is always a list of parts. */
export type UpstreamItem = InputItem & { type: string }

/** A `/v1/responses` body as the gateway's schema (or `verify`) hands it over. */
export interface ResponsesInput {
  model: string
  input?: string | InputItem[]
  instructions?: string | null
  [k: string]: unknown
}

/**
 * The fields forwarded as they are, in the caller's order. `model` and `input` hold their places
 * only: {@link toUpstream} writes the resolved slug and the ordered items there.
 */
export interface ForwardedFields {
  model?: unknown
  input?: unknown
  tools?: unknown
  tool_choice?: unknown
  parallel_tool_calls?: unknown
  reasoning?: unknown
  text?: unknown
  prompt_cache_key?: unknown
  service_tier?: unknown
  client_metadata?: unknown
}

/** What a dialect translates into, before the model is resolved. */
export interface UpstreamDraft {
  fields: ForwardedFields
  items: UpstreamItem[]
  /** The caller's own instructions (they go first in `input`, as a developer message). */
  instructions?: string | null
  /** Parameters the caller sent that the backend would refuse; not forwarded. Sorted. */
  dropped: string[]
}

/** The body sent to the backend. */
export interface ResponsesBody extends ForwardedFields {
  model: string
  input: UpstreamItem[]
  instructions: string
  store: false
  stream: true
  include: string[]
}

/** One request for the backend, resolved: its body, the bare slug, what was dropped. */
export interface UpstreamRequest {
  body: ResponsesBody
  slug: string
  dropped: string[]
}

/** The model a request names, looked up once: its bare slug and the instructions it goes with. */
export interface ResolvedModel {
  slug: string
  baseInstructions: string
  /** The ids of the service tiers its catalog entry offers (none when it has no entry). */
  serviceTiers: string[]
  /** The tiers' names (`Fast`), lowercased, to their ids: a client may send the name. */
  tierNames?: Record<string, string>
}
