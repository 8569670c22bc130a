/**
 * Chat Completions <-> Responses translation: requests one way, complete answers and streamed
 * chunks the other. Output objects carry every field the official SDKs read.
 */
import { randomBytes } from 'node:crypto'
import { SkillError } from '../result.js'
import { outputText, type StreamEvent } from '../backend/sse.js'

type Obj = Record<string, any>

const bad = (m: string) => new SkillError('invalid_argument', m, { hint: 'Fix the request body.' })

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content.map((p: Obj) => (p?.type === 'text' ? String(p.text ?? '') : '')).join('')
  return ''
}

function userParts(content: unknown): Obj[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }]
  if (!Array.isArray(content)) throw bad('message content must be a string or an array of parts')
  return content.map((p: Obj) => {
    if (p?.type === 'text') return { type: 'input_text', text: String(p.text ?? '') }
    if (p?.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : p.image_url?.url
      return {
        type: 'input_image',
        image_url: url,
        ...(p.image_url?.detail ? { detail: p.image_url.detail } : {}),
      }
    }
    throw bad(`unsupported content part type "${String(p?.type)}"`)
  })
}

/** Converts a chat request into a Responses request (plus what was dropped and usage wishes). */
export function chatToResponses(req: Obj): {
  body: Obj
  dropped: string[]
  includeUsage: boolean
  stream: boolean
} {
  if (!Array.isArray(req.messages) || req.messages.length === 0)
    throw bad('messages must be a non-empty array')
  const input: Obj[] = []
  for (const m of req.messages as Obj[]) {
    switch (m?.role) {
      case 'system':
      case 'developer':
        input.push({
          type: 'message',
          role: 'developer',
          content: [{ type: 'input_text', text: textOf(m.content) }],
        })
        break
      case 'user':
        input.push({ type: 'message', role: 'user', content: userParts(m.content) })
        break
      case 'assistant': {
        const text = textOf(m.content)
        if (text)
          input.push({
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text }],
          })
        for (const call of (m.tool_calls ?? []) as Obj[]) {
          input.push({
            type: 'function_call',
            call_id: call.id,
            name: call.function?.name,
            arguments: call.function?.arguments ?? '{}',
          })
        }
        break
      }
      case 'tool':
        input.push({
          type: 'function_call_output',
          call_id: m.tool_call_id,
          output: textOf(m.content),
        })
        break
      default:
        throw bad(`unsupported message role "${String(m?.role)}"`)
    }
  }
  const body: Obj = { model: req.model, input }
  if (Array.isArray(req.tools)) {
    body.tools = (req.tools as Obj[]).map((t) => ({
      type: 'function',
      name: t.function?.name,
      description: t.function?.description,
      parameters: t.function?.parameters ?? { type: 'object', properties: {} },
      ...(t.function?.strict != null ? { strict: t.function.strict } : {}),
    }))
  }
  if (req.tool_choice != null) {
    body.tool_choice =
      typeof req.tool_choice === 'string'
        ? req.tool_choice
        : { type: 'function', name: req.tool_choice?.function?.name }
  }
  if (req.parallel_tool_calls != null) body.parallel_tool_calls = req.parallel_tool_calls
  if (req.reasoning_effort) body.reasoning = { effort: req.reasoning_effort, summary: 'auto' }
  const rf = req.response_format as Obj | undefined
  if (rf?.type === 'json_schema') {
    const js = rf.json_schema ?? {}
    body.text = {
      format: {
        type: 'json_schema',
        name: js.name ?? 'response',
        schema: js.schema,
        strict: js.strict ?? false,
      },
    }
  } else if (rf?.type === 'json_object') body.text = { format: { type: 'json_object' } }
  const known = new Set([
    'model',
    'messages',
    'tools',
    'tool_choice',
    'parallel_tool_calls',
    'reasoning_effort',
    'response_format',
    'stream',
    'stream_options',
  ])
  // Everything else (temperature, max_tokens, stop, n, ...) has no place upstream: reported, not sent.
  const dropped = Object.keys(req).filter((k) => !known.has(k))
  return {
    body,
    dropped,
    includeUsage: req.stream_options?.include_usage === true,
    stream: req.stream === true,
  }
}

const usageOf = (u: Obj | undefined) => ({
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

function finishReason(response: Obj, hadToolCall: boolean): 'stop' | 'tool_calls' | 'length' {
  if (hadToolCall) return 'tool_calls'
  if (
    response.status === 'incomplete' &&
    /max_output_tokens|length/.test(String(response.incomplete_details?.reason ?? ''))
  )
    return 'length'
  return 'stop'
}

const reasoningText = (output: Obj[]) =>
  output
    .filter((i) => i.type === 'reasoning')
    .flatMap((i) => (Array.isArray(i.summary) ? i.summary : []))
    .map((s: Obj) => String(s.text ?? ''))
    .join('')

/** A complete chat.completion from a complete Responses object. */
export function responsesToChat(response: Obj, model: string): Obj {
  const output = (response.output ?? []) as Obj[]
  const calls = output.filter((i) => i.type === 'function_call')
  const reasoning = reasoningText(output)
  return {
    id: `chatcmpl-${String(response.id ?? randomBytes(8).toString('hex')).replace(/^resp_/, '')}`,
    object: 'chat.completion',
    created: Number(response.created_at ?? Math.floor(Date.now() / 1000)),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: calls.length && !outputText(output) ? null : outputText(output),
          refusal: null,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(calls.length
            ? {
                tool_calls: calls.map((c) => ({
                  id: c.call_id,
                  type: 'function',
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

/** Turns upstream events into chat.completion.chunk payloads, one call per event. */
export class ChatStreamer {
  private readonly id = `chatcmpl-${randomBytes(12).toString('hex')}`
  private readonly created = Math.floor(Date.now() / 1000)
  private toolIndex = new Map<string, number>()
  finished = false

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  private chunk(delta: Obj, finish: string | null = null, extra: Obj = {}): Obj {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    }
  }

  /** The leading chunk: the role, before any content. */
  first(): Obj {
    return this.chunk({ role: 'assistant', content: '' })
  }

  /** Chunks for one upstream event (often none). */
  map(ev: StreamEvent): Obj[] {
    const d = ev.data
    switch (ev.type) {
      case 'response.output_text.delta':
        return [this.chunk({ content: String(d.delta ?? '') })]
      case 'response.reasoning_summary_text.delta':
        return [this.chunk({ reasoning_content: String(d.delta ?? '') })]
      case 'response.output_item.added':
        if (d.item?.type !== 'function_call') return []
        this.toolIndex.set(String(d.item.id), this.toolIndex.size)
        return [
          this.chunk({
            tool_calls: [
              {
                index: this.toolIndex.size - 1,
                id: d.item.call_id,
                type: 'function',
                function: { name: d.item.name, arguments: '' },
              },
            ],
          }),
        ]
      case 'response.function_call_arguments.delta':
        return [
          this.chunk({
            tool_calls: [
              {
                index: this.toolIndex.get(String(d.item_id)) ?? 0,
                function: { arguments: String(d.delta ?? '') },
              },
            ],
          }),
        ]
      case 'response.completed':
      case 'response.incomplete': {
        this.finished = true
        const response = d.response ?? {}
        const out = [this.chunk({}, finishReason(response, this.toolIndex.size > 0))]
        if (this.includeUsage)
          out.push({ ...this.chunk({}), choices: [], usage: usageOf(response.usage) })
        return out
      }
      default:
        return []
    }
  }
}
