/**
 * Anthropic Messages -> Responses, the request side: a checked `/v1/messages` body becomes an
 * {@link UpstreamDraft} like any other dialect. System blocks and `role: "system"` messages
 * become developer messages; text and images input parts; `tool_use`/`tool_result` function
 * calls and their outputs; thinking blocks the gateway signed (or reasoning it remembered for a
 * tool call) go back as reasoning items. What has no place upstream is dropped and named.
 * The answer side is messages-reply.ts (whole) and messages-stream.ts (streamed).
 * @see docs/anthropic.md#what-is-translated
 */
import type { ContentPart, UpstreamDraft, UpstreamItem } from '../backend/upstream-types.js'
import { fromSignature, type ReasoningItem, type ReasoningMemo } from './reasoning-memo.js'
import { draftFields, thinkingMode, type ThinkingMode } from './messages-fields.js'
import type { MessagesRequest } from './messages-schemas.js'

export { cleanSchema, type ThinkingMode } from './messages-fields.js'

type Block = { type: string; [k: string]: unknown }
type Content = MessagesRequest['messages'][number]['content']

/** A Messages request in Responses terms, plus what only the Anthropic answer needs. */
export interface MessagesDraft extends UpstreamDraft {
  stream: boolean
  thinking: ThinkingMode
}

/** Keys with a place upstream (or the gateway's own); any other top-level key is dropped. */
const KNOWN = new Set([
  'model',
  'messages',
  'system',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
])

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object'
const blocks = (c: Content | null | undefined): Block[] =>
  typeof c === 'string' ? [{ type: 'text', text: c }] : Array.isArray(c) ? c : []
const textOf = (c: Content | null | undefined) =>
  blocks(c)
    .map((b) => (b.type === 'text' ? String(b.text ?? '') : ''))
    .join('')
const developer = (text: string): UpstreamItem => ({
  type: 'message',
  role: 'developer',
  content: [{ type: 'input_text', text }],
})

/** An image block as an `input_image` part: base64 as a data URL, a URL as is. */
function imagePart(b: Block): ContentPart | undefined {
  const src = isObject(b.source) ? b.source : {}
  if (src.type === 'base64' && typeof src.data === 'string') {
    return { type: 'input_image', image_url: `data:${String(src.media_type)};base64,${src.data}` }
  }
  if (src.type === 'url' && typeof src.url === 'string') {
    return { type: 'input_image', image_url: src.url }
  }
  return undefined
}

/** A tool result's content as the function call's output text (images are named, not sent). */
function toolOutput(b: Block, dropped: Set<string>): string {
  const parts = blocks(b.content as Content)
  if (parts.some((p) => p.type !== 'text')) dropped.add('tool_result.image')
  const text = textOf(b.content as Content)
  // The Responses API has no error flag on an output: the model reads it in the text instead.
  return b.is_error === true ? `[tool error] ${text}` : text
}

class Translator {
  readonly items: UpstreamItem[] = []
  readonly dropped = new Set<string>()
  private sentReasoning = new Set<string>()
  constructor(private readonly memo: ReasoningMemo) {}

  private reasoning(items: ReasoningItem[]): void {
    for (const r of items) {
      if (this.sentReasoning.has(r.encrypted_content)) continue // one item, several calls
      this.sentReasoning.add(r.encrypted_content)
      this.items.push({ ...r })
    }
  }

  user(content: Content): void {
    let parts: ContentPart[] = []
    const flush = () => {
      if (parts.length) this.items.push({ type: 'message', role: 'user', content: parts })
      parts = []
    }
    for (const b of blocks(content)) {
      if (b.type === 'text') parts.push({ type: 'input_text', text: String(b.text ?? '') })
      else if (b.type === 'image') {
        const image = imagePart(b)
        if (image) parts.push(image)
        else this.dropped.add('image.source')
      } else if (b.type === 'tool_result') {
        flush() // the outputs keep their place between the text around them
        const output = toolOutput(b, this.dropped)
        this.items.push({ type: 'function_call_output', call_id: b.tool_use_id, output })
      } else this.dropped.add(`content.${b.type}`)
    }
    flush()
  }

  assistant(content: Content): void {
    let text = ''
    const flush = () => {
      if (text) {
        this.items.push({
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text }],
        })
      }
      text = ''
    }
    let carried = false
    for (const b of blocks(content)) {
      if (b.type === 'text') text += String(b.text ?? '')
      else if (b.type === 'thinking') {
        const encrypted = fromSignature(b.signature)
        if (!encrypted) continue // another provider's thinking: the backend cannot read it
        flush()
        carried = true
        const summary = typeof b.thinking === 'string' && b.thinking ? b.thinking : ''
        this.reasoning([
          {
            type: 'reasoning',
            summary: summary ? [{ type: 'summary_text', text: summary }] : [],
            encrypted_content: encrypted,
          },
        ])
      } else if (b.type === 'tool_use') {
        flush()
        const id = String(b.id ?? '')
        if (!carried) this.reasoning(this.memo.recall(id))
        this.items.push({
          type: 'function_call',
          call_id: id,
          name: String(b.name ?? ''),
          arguments: JSON.stringify(b.input ?? {}),
        })
      } else if (b.type !== 'redacted_thinking') this.dropped.add(`content.${b.type}`)
    }
    flush()
  }
}

/**
 * Translates a checked Messages body into the upstream draft. `memo` holds the reasoning of
 * earlier answers, keyed by their tool call ids. Never fails: the body was checked at the door,
 * and what cannot be sent is named in `dropped` (top-level keys such as `max_tokens`,
 * `temperature`, `metadata`; `tools.<name>` for a tool left out; `content.<type>` for a block).
 * @see docs/anthropic.md#what-is-translated
 */
export function messagesDraft(req: MessagesRequest, memo: ReasoningMemo): MessagesDraft {
  const t = new Translator(memo)
  for (const s of blocks(req.system)) {
    if (s.type === 'text' && s.text) t.items.push(developer(String(s.text)))
  }
  for (const m of req.messages) {
    if (m.role === 'system') t.items.push(developer(textOf(m.content)))
    else if (m.role === 'user') t.user(m.content)
    else t.assistant(m.content)
  }
  const fields = draftFields(req, t.dropped)
  const thinking = thinkingMode(req)
  for (const k of Object.keys(req)) if (!KNOWN.has(k)) t.dropped.add(k)
  return {
    fields,
    items: t.items,
    dropped: [...t.dropped].sort(),
    stream: req.stream === true,
    thinking,
  }
}
