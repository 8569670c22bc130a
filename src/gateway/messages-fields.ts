/**
 * Anthropic Messages -> Responses, the request's fields beside the conversation: tools (schemas
 * cleaned, the ones the backend cannot take left out and named), `tool_choice`, the reasoning
 * effort from `thinking` and `output_config.effort`, and structured output.
 * @see docs/anthropic.md#what-is-translated
 */
import type { UpstreamDraft } from '../backend/upstream-types.js'
import type { MessagesRequest } from './messages-schemas.js'

/** Which thinking blocks the answer carries: with summaries, signature only, or none. */
export type ThinkingMode = 'summarized' | 'omitted' | 'none'

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object'

/** Keys of JSON Schema the backend refuses in a function's parameters. */
const SCHEMA_REFUSED = new Set(['$schema', '$id'])

/** A copy of a schema without the keys the backend refuses, at any depth. */
export function cleanSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(cleanSchema)
  if (!isObject(schema)) return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) if (!SCHEMA_REFUSED.has(k)) out[k] = cleanSchema(v)
  return out
}

/** `output_config.effort` (or a thinking budget) as a Responses reasoning effort. */
function effortOf(req: MessagesRequest): string | undefined {
  const effort = req.output_config?.effort
  if (effort === 'low' || effort === 'medium' || effort === 'high') return effort
  if (effort === 'max') return 'high' // the highest every model takes
  const budget = req.thinking?.type === 'enabled' ? req.thinking.budget_tokens : undefined
  if (typeof budget === 'number')
    return budget < 4_000 ? 'low' : budget < 16_000 ? 'medium' : 'high'
  return undefined
}

export function thinkingMode(req: MessagesRequest): ThinkingMode {
  const t = req.thinking
  if (!t || (t.type !== 'enabled' && t.type !== 'adaptive')) return 'none'
  return t.display === 'omitted' ? 'omitted' : 'summarized'
}

/**
 * The forwarded fields of a Messages request: tools, tool_choice, reasoning, text format. Adds
 * to `dropped` what it leaves out (`tools.<name>`). Never fails.
 * @see docs/anthropic.md#what-is-translated
 */
export function draftFields(req: MessagesRequest, dropped: Set<string>): UpstreamDraft['fields'] {
  const fields: UpstreamDraft['fields'] = { model: req.model, input: undefined }
  const tools: Record<string, unknown>[] = []
  for (const tool of req.tools ?? []) {
    // Server tools (web search, bash, ...) and deferred tools have no function form upstream.
    const server = tool.type != null && tool.type !== 'custom'
    if (server || tool.defer_loading === true || !tool.input_schema) {
      dropped.add(`tools.${tool.name}`)
      continue
    }
    tools.push({
      type: 'function',
      name: tool.name,
      description: tool.description ?? '',
      parameters: cleanSchema(tool.input_schema),
      strict: false,
    })
  }
  if (tools.length) fields.tools = tools
  const choice = req.tool_choice
  // A choice among no tools (all left out) would be refused upstream: named instead.
  if (choice && !tools.length && choice.type !== 'none' && choice.type !== 'auto') {
    dropped.add('tool_choice')
  } else if (choice) {
    fields.tool_choice =
      choice.type === 'any'
        ? 'required'
        : choice.type === 'tool'
          ? { type: 'function', name: choice.name }
          : choice.type
    if (choice.disable_parallel_tool_use === true) fields.parallel_tool_calls = false
  }
  const thinking = thinkingMode(req)
  const effort = effortOf(req)
  if (effort || thinking === 'summarized') {
    fields.reasoning = {
      ...(effort ? { effort } : {}),
      ...(thinking === 'summarized' ? { summary: 'auto' } : {}),
    }
  }
  const format = req.output_config?.format
  if (isObject(format) && format.type === 'json_schema') {
    fields.text = {
      format: {
        type: 'json_schema',
        name: 'response',
        schema: cleanSchema(format.schema),
        strict: false,
      },
    }
  }
  return fields
}
