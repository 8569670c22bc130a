/**
 * Chat Completions -> Responses, the request side: a checked chat body becomes an
 * {@link UpstreamDraft} (items, forwarded fields, what was dropped), like any other dialect.
 * The answer side is chat-reply.ts.
 * @see docs/gateway.md#chat-completions
 */
import type { ContentPart, UpstreamDraft, UpstreamItem } from '../backend/upstream-types.js'
import { SkillError } from '../result.js'
import type { ChatRequest } from './schemas.js'

type ChatMessage = ChatRequest['messages'][number]
type ChatContent = ChatMessage['content']

/** A chat request in Responses terms, plus what only the chat answer needs. */
export interface ChatDraft extends UpstreamDraft {
  /** `stream_options.include_usage`: a last chunk with the usage and no choices. */
  includeUsage: boolean
  stream: boolean
}

const bad = (m: string) => new SkillError('invalid_argument', m, { hint: 'Fix the request body.' })

/** The keys a chat request may carry that have a place upstream (or are the gateway's own). */
const KNOWN = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning_effort',
  'response_format',
  'stream',
  'stream_options',
  'service_tier',
])

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object'

function textOf(content: ChatContent): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content.map((p) => (p.type === 'text' ? String(p.text ?? '') : '')).join('')
  }
  return ''
}

function userPart(p: ContentPart): ContentPart {
  if (p.type === 'text') return { type: 'input_text', text: String(p.text ?? '') }
  if (p.type === 'image_url') {
    const image = isObject(p.image_url) ? p.image_url : undefined
    const url = typeof p.image_url === 'string' ? p.image_url : image?.url
    return {
      type: 'input_image',
      image_url: url,
      ...(image?.detail ? { detail: image.detail } : {}),
    }
  }
  throw bad(`unsupported content part type "${p.type}"`)
}

function userParts(content: ChatContent): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }]
  if (!Array.isArray(content)) throw bad('message content must be a string or an array of parts')
  return content.map(userPart)
}

function itemsOf(m: ChatMessage): UpstreamItem[] {
  switch (m.role) {
    case 'system':
    case 'developer':
      return [
        {
          type: 'message',
          role: 'developer',
          content: [{ type: 'input_text', text: textOf(m.content) }],
        },
      ]
    case 'user':
      return [{ type: 'message', role: 'user', content: userParts(m.content) }]
    case 'assistant': {
      const text = textOf(m.content)
      const out: UpstreamItem[] = text
        ? [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }]
        : []
      for (const call of m.tool_calls ?? []) {
        out.push({
          type: 'function_call',
          call_id: call.id,
          name: call.function.name,
          arguments: call.function.arguments ?? '{}',
        })
      }
      return out
    }
    case 'tool':
      return [{ type: 'function_call_output', call_id: m.tool_call_id, output: textOf(m.content) }]
  }
}

/**
 * Translates a checked chat request into the upstream draft: system and developer messages
 * become developer messages, images `input_image`, assistant tool calls `function_call` items,
 * tool results `function_call_output`; tools, tool_choice, reasoning_effort and response_format
 * take their Responses form. Every other field (temperature, max_tokens, stop, n, ...) has no
 * place upstream: named in `dropped`, not sent.
 * @throws SkillError `invalid_argument` (a user message without content, an unsupported part).
 * @see docs/gateway.md#chat-completions
 */
export function chatDraft(req: ChatRequest): ChatDraft {
  const items = req.messages.flatMap(itemsOf)
  // `model` and `input` hold the places the upstream body has always given them: first.
  const fields: UpstreamDraft['fields'] = { model: req.model, input: undefined }
  if (Array.isArray(req.tools)) {
    fields.tools = req.tools.map((t) => ({
      type: 'function',
      name: t.function.name,
      description: t.function.description,
      parameters: t.function.parameters ?? { type: 'object', properties: {} },
      ...(t.function.strict != null ? { strict: t.function.strict } : {}),
    }))
  }
  if (req.tool_choice != null) {
    fields.tool_choice =
      typeof req.tool_choice === 'string'
        ? req.tool_choice
        : { type: 'function', name: req.tool_choice.function.name }
  }
  if (req.parallel_tool_calls != null) fields.parallel_tool_calls = req.parallel_tool_calls
  // Fast mode; kept only if the model offers the tier (checked once the model is resolved).
  if (req.service_tier != null) fields.service_tier = req.service_tier
  if (req.reasoning_effort) fields.reasoning = { effort: req.reasoning_effort, summary: 'auto' }
  const rf = req.response_format
  if (rf?.type === 'json_schema') {
    const js = isObject(rf.json_schema) ? rf.json_schema : {}
    fields.text = {
      format: {
        type: 'json_schema',
        name: js.name ?? 'response',
        schema: js.schema,
        strict: js.strict ?? false,
      },
    }
  } else if (rf?.type === 'json_object') fields.text = { format: { type: 'json_object' } }
  return {
    fields,
    items,
    dropped: Object.keys(req)
      .filter((k) => !KNOWN.has(k))
      .sort(),
    includeUsage: req.stream_options?.include_usage === true,
    stream: req.stream === true,
  }
}
