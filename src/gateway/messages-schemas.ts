/**
 * The Anthropic Messages dialect's HTTP boundary: `POST /v1/messages` and its `count_tokens`,
 * checked once, on arrival. Loose objects, like the OpenAI dialects' schemas: the shapes the
 * translation relies on are checked, every other field passes through to be translated or
 * dropped and named.
 * @see docs/anthropic.md#what-is-translated
 */
import * as z from '../zod.js'

/** A content block: `{type, ...}` (text, image, tool_use, tool_result, thinking, ...). */
const block = z.looseObject({ type: z.string() })
const content = z.union([z.string(), z.array(block)])

const message = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content,
})

const tool = z.looseObject({
  name: z.string().check(z.minLength(1)),
  type: z.nullish(z.string()),
  description: z.nullish(z.string()),
  input_schema: z.nullish(z.looseObject({})),
})

const toolChoice = z.looseObject({
  type: z.enum(['auto', 'any', 'tool', 'none']),
  name: z.nullish(z.string()),
  disable_parallel_tool_use: z.nullish(z.boolean()),
})

const shape = {
  model: z.string().check(z.minLength(1)),
  messages: z.array(message),
  system: z.nullish(content),
  stream: z.nullish(z.boolean()),
  tools: z.nullish(z.array(tool)),
  tool_choice: z.nullish(toolChoice),
  thinking: z.nullish(
    z.looseObject({
      type: z.string(),
      budget_tokens: z.nullish(z.number()),
      display: z.nullish(z.string()),
    }),
  ),
  output_config: z.nullish(
    z.looseObject({ effort: z.nullish(z.string()), format: z.nullish(z.looseObject({})) }),
  ),
}

/** `POST /v1/messages`. `max_tokens`, required by Anthropic, is accepted and dropped. */
export const MessagesRequest = z.looseObject(shape)
export type MessagesRequest = z.infer<typeof MessagesRequest>

/** `POST /v1/messages/count_tokens`: the same body. */
export const CountTokensRequest = MessagesRequest
