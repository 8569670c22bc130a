/**
 * The gateway's HTTP boundary: request bodies of `/v1/responses` and `/v1/chat/completions`,
 * checked once, on arrival. The schemas are loose objects: they check the shapes the gateway
 * relies on (model, input, messages, stream, tools, ...) and let every other field through
 * untouched, so normalisation can forward it or drop it and name it (nothing vanishes here).
 * They run on every request, so they check shapes only, never content.
 */
import * as z from '../zod.js'

/** A content part: `{type, ...}` (text, image, ...), the rest is the backend's to judge. */
const part = z.looseObject({ type: z.string() })
const content = z.union([z.string(), z.array(part)])

/** A Responses input item, typed (`{type, ...}`) or untyped (`{role, content}`). */
const inputItem = z
  .looseObject({
    type: z.optional(z.string()),
    role: z.optional(z.string()),
    content: z.optional(content),
  })
  .check(
    z.refine((i) => i.type !== undefined || i.role !== undefined, {
      message: 'an input item needs a "type" or a "role"',
    }),
  )

/** `POST /v1/responses`. */
export const ResponsesRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  input: z.optional(z.union([z.string(), z.array(inputItem)])),
  instructions: z.nullish(z.string()),
  stream: z.nullish(z.boolean()),
  tools: z.nullish(z.array(z.looseObject({ type: z.string() }))),
})
export type ResponsesRequest = z.infer<typeof ResponsesRequest>

const toolCall = z.looseObject({
  id: z.string(),
  function: z.looseObject({ name: z.string(), arguments: z.nullish(z.string()) }),
})
const chatMessage = z
  .looseObject({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.nullish(content),
    tool_calls: z.nullish(z.array(toolCall)),
    tool_call_id: z.nullish(z.string()),
  })
  .check(
    z.refine((m) => m.role !== 'tool' || typeof m.tool_call_id === 'string', {
      message: 'a "tool" message needs its "tool_call_id"',
    }),
  )

/** `POST /v1/chat/completions`. */
export const ChatRequest = z.looseObject({
  model: z.string().check(z.minLength(1)),
  messages: z.array(chatMessage).check(z.minLength(1)),
  stream: z.nullish(z.boolean()),
  stream_options: z.nullish(z.looseObject({ include_usage: z.nullish(z.boolean()) })),
  tools: z.nullish(
    z.array(
      z.looseObject({
        type: z.optional(z.string()),
        function: z.looseObject({ name: z.string(), description: z.nullish(z.string()) }),
      }),
    ),
  ),
  tool_choice: z.nullish(
    z.union([z.string(), z.looseObject({ function: z.looseObject({ name: z.string() }) })]),
  ),
  parallel_tool_calls: z.nullish(z.boolean()),
  reasoning_effort: z.nullish(z.string()),
  response_format: z.nullish(z.looseObject({ type: z.string() })),
})
export type ChatRequest = z.infer<typeof ChatRequest>

/** `messages[0].role` from zod's `['messages', 0, 'role']`. */
function where(path: readonly PropertyKey[]): string {
  let out = ''
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`
  return out
}

export type BodyCheck<T> =
  { ok: true; data: T } | { ok: false; message: string; param: string | null }

/**
 * Checks a parsed JSON body once, at the door; the typed value it returns is what every layer
 * below takes. Never throws: a failure names the first wrong field (OpenAI's `param`), which the
 * router answers as 400 `invalid_request_body`.
 * @see docs/gateway.md#request-bodies
 */
export function checkBody<S extends z.ZodMiniType>(
  schema: S,
  body: unknown,
): BodyCheck<z.infer<S>> {
  const r = schema.safeParse(body)
  if (r.success) return { ok: true, data: r.data }
  const issue = r.error.issues[0]
  const param = issue && issue.path.length ? where(issue.path) : null
  return {
    ok: false,
    param,
    message: `Invalid request body: ${param ? `${param}: ` : ''}${issue?.message ?? 'invalid'}`,
  }
}
