/**
 * The Chat Completions answer as the gateway writes it: a complete `chat.completion` and the
 * streamed `chat.completion.chunk`s, with every field the official SDKs read.
 * @see docs/gateway.md#chat-completions
 */

export type FinishReason = 'stop' | 'tool_calls' | 'length'

/** Chat's usage block. */
export interface ChatUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number }
  completion_tokens_details: { reasoning_tokens: number }
}

/** A tool call in a complete message. */
export interface ChatToolCall {
  id: unknown
  type: 'function'
  function: { name: unknown; arguments: unknown }
}

/** `chat.completion`. */
export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: {
    index: 0
    message: {
      role: 'assistant'
      content: string | null
      refusal: null
      reasoning_content?: string
      tool_calls?: ChatToolCall[]
    }
    logprobs: null
    finish_reason: FinishReason
  }[]
  usage: ChatUsage
}

/** What one chunk adds. */
export interface ChatDelta {
  role?: 'assistant'
  content?: string
  reasoning_content?: string
  tool_calls?: {
    index: number
    id?: unknown
    type?: 'function'
    function: { name?: unknown; arguments: string }
  }[]
}

/** `chat.completion.chunk`; the usage chunk has no choices. */
export interface ChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: { index: 0; delta: ChatDelta; logprobs: null; finish_reason: FinishReason | null }[]
  usage?: ChatUsage
}
