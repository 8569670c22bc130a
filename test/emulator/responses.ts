/**
 * POST /backend-api/codex/responses: validates like the real backend
 * (docs/protocol.md#94-what-the-real-backend-rejects) and
 * streams Responses-API SSE (docs/protocol.md#95-sse-that-01690-accepted-v): text deltas, function
 * calls with argument deltas, reasoning
 * summaries and the final response.completed, with the x-codex-* rate-limit headers
 * (docs/protocol.md#82-rate-limit-response-headers).
 */
import type { ServerResponse } from 'node:http'
import { failureError, failureEvent } from './failures.js'
import { rand } from './jwt.js'
import { json, type Req } from './server.js'
import type { EmuAccount, EmuState, ModelInfo } from './state.js'

const REFUSED = ['max_output_tokens', 'max_tokens', 'temperature', 'top_p', 'stop', 'metadata']

type Body = Record<string, unknown>
type Item = Record<string, unknown>

/** The 400 `detail` the real backend gives for this body, or null when it is acceptable. */
export function rejectReason(models: ModelInfo[], body: Body, lite = false): string | null {
  const input = Array.isArray(body.input) ? (body.input as unknown[]) : []
  const model = models.find((m) => m.slug === body.model)
  // 0.169.0 sends the base instructions as a developer message and no `instructions` at all
  // (seen even for catalog models without use_responses_lite), so only a request with neither
  // is refused.
  const developer = input.some((i) => (i as Item | null)?.role === 'developer')
  const instructed = typeof body.instructions === 'string' && body.instructions !== ''
  if (body.store !== false) return 'Store must be set to false'
  if (!instructed && !developer && !lite && model?.use_responses_lite !== true) {
    return 'Instructions are required'
  }
  if (body.stream !== true) return 'Stream must be set to true'
  if (input.some((i) => (i as Item | null)?.role === 'system')) {
    return 'System messages are not allowed'
  }
  for (const p of REFUSED) if (p in body) return `Unsupported parameter: ${p}`
  if (!model) {
    return `The '${String(body.model)}' model is not supported when using Codex with a ChatGPT account.`
  }
  // A service tier the model's catalog entry does not offer is refused (fast mode: `priority`).
  if (body.service_tier !== undefined) {
    const tiers = Array.isArray(model.service_tiers) ? (model.service_tiers as Item[]) : []
    if (!tiers.some((t) => t.id === body.service_tier)) {
      return `Unsupported service_tier: ${String(body.service_tier)}`
    }
  }
  return null
}

/** Arguments for a call of `tool`, filled from its JSON-schema properties when it has any. */
function sampleArguments(tool: Item | undefined): string {
  const params = (tool?.parameters ?? (tool?.function as Item | undefined)?.parameters) as
    Item | undefined
  const props = params?.properties as Record<string, { type?: string }> | undefined
  if (!props || Object.keys(props).length === 0) return JSON.stringify({ city: 'Paris' })
  const sample = (t?: string) =>
    t === 'number' || t === 'integer'
      ? 1
      : t === 'boolean'
        ? true
        : t === 'array'
          ? []
          : t === 'object'
            ? {}
            : 'Paris'
  return JSON.stringify(
    Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sample(v.type)])),
  )
}

/** Splits `text` into about three deltas (one empty delta for empty text). */
function deltas(text: string): string[] {
  if (!text) return ['']
  const size = Math.ceil(text.length / Math.min(3, text.length))
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

/** Handles one POST: rejects like the real backend, or streams per `modes.responses`. */
export async function streamResponse(
  s: EmuState,
  account: EmuAccount,
  req: Req,
  res: ServerResponse,
  now: () => number,
): Promise<void> {
  // A body we could not decode (zstd on Node 20) is taken on trust, as the brief for it says.
  const undecodable = req.body === null && req.headers['content-encoding'] !== undefined
  const body: Body = req.body && typeof req.body === 'object' ? (req.body as Body) : {}
  if (!undecodable) {
    if (!req.body || typeof req.body !== 'object') {
      return json(res, 400, { detail: 'We could not parse the JSON body of your request.' })
    }
    const lite = req.headers['x-openai-internal-codex-responses-lite'] === 'true'
    const reason = rejectReason(s.modes.models, body, lite)
    if (reason) return json(res, 400, { detail: reason })
  }
  const hint = /model=([^\s,;]+)/.exec(req.headers['x-codex-routing-hint'] ?? '')?.[1]
  const model = typeof body.model === 'string' ? body.model : (hint ?? 'unknown')
  const m = s.modes.responses
  const nowS = Math.floor(now() / 1000)

  if (m.mode === 'usage_limit') {
    const error = {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: account.plan,
      resets_at: nowS + 3_600,
      resets_in_seconds: 3_600,
    }
    return json(res, 429, { error })
  }
  if (m.mode === 'error500') return json(res, 500, { detail: 'Internal Server Error' })

  // The rate-limit headers (docs/protocol.md#82-rate-limit-response-headers), from the same windows GET /wham/usage reports.
  const limits: Record<string, string> = {}
  for (const [name, w] of Object.entries(s.modes.usage)) {
    limits[`x-codex-${name}-used-percent`] = w.used_percent.toFixed(1)
    limits[`x-codex-${name}-window-minutes`] = String(w.window_minutes)
    limits[`x-codex-${name}-reset-at`] = String(nowS + w.reset_after_s)
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...limits,
  })
  let closed = false
  let cut = false
  res.on('close', () => {
    if (res.writableEnded || cut) return
    closed = true
    s.stats.aborted++
  })
  const delay = m.mode === 'slow' ? (m.slowMs ?? 200) : 0
  if (m.firstDelayMs) {
    // The headers go now, the first event later: the client knows the answer is on its way.
    res.flushHeaders()
    await new Promise((r) => setTimeout(r, m.firstDelayMs))
  }
  let seq = 0
  const send = async (type: string, data: Item) => {
    if (closed || cut) return
    res.write(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`,
    )
    if (m.mode === 'cut' && type.endsWith('.delta')) {
      // The stream breaks mid-way: no completion event ever comes. Destroy only once what was
      // written has left, or the client would see a dead socket instead of a cut stream.
      cut = true
      await new Promise((r) => res.write('', r))
      await new Promise((r) => setTimeout(r, 20))
      res.destroy()
      return
    }
    if (delay) await new Promise((r) => setTimeout(r, delay))
  }

  /** `trailing`: one more event once the last one has left, after a pause (a read of its own). */
  const trail = async () => {
    if (!m.trailing || closed || cut) return
    await new Promise((r) => res.write('', r))
    await new Promise((r) => setTimeout(r, 200))
    await send('response.output_text.delta', {
      item_id: 'msg_late',
      output_index: 0,
      delta: 'late',
    })
    s.stats.trailing++
  }

  const id = `resp_${rand(12)}`
  const tier = typeof body.service_tier === 'string' ? { service_tier: body.service_tier } : {}
  const head = { id, object: 'response', created_at: nowS, model, ...tier }
  if ((m.mode === 'failed' || m.mode === 'error_event') && m.failEarly) {
    const error = failureError(m.failCode ?? 'usage_limit_reached', account, nowS)
    const [type, data] = failureEvent(m.mode, error, head)
    await send(type, data)
    if (!closed) res.end()
    return
  }
  await send('response.created', { response: { ...head, status: 'in_progress', output: [] } })
  await send('response.in_progress', { response: { ...head, status: 'in_progress', output: [] } })
  // An upstream that stops sending: nothing more until the client gives up (or close()).
  if (m.mode === 'stall') return
  if (m.mode === 'failed' || m.mode === 'error_event') {
    // A failure inside the 200 stream, after a first delta (or as the first event, see above).
    const at = { item_id: `msg_${rand(12)}`, output_index: 0, content_index: 0 }
    await send('response.output_text.delta', { ...at, delta: 'Partial' })
    const [type, data] = failureEvent(
      m.mode,
      failureError(m.failCode ?? 'usage_limit_reached', account, nowS),
      head,
    )
    await send(type, data)
    await trail()
    if (!closed) res.end()
    return
  }

  const output: Item[] = []
  let outputTokens = 0
  let reasoningTokens = 0
  if (m.reply === 'reasoning' || m.reasoning) {
    const text = 'Considering the request before answering.'
    const at = { item_id: `rs_${rand(12)}`, output_index: output.length }
    const part = { type: 'summary_text', text: '' }
    await send('response.output_item.added', {
      output_index: at.output_index,
      item: { type: 'reasoning', id: at.item_id, summary: [] },
    })
    await send('response.reasoning_summary_part.added', { ...at, summary_index: 0, part })
    for (const delta of deltas(text)) {
      await send('response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta })
    }
    await send('response.reasoning_summary_text.done', { ...at, summary_index: 0, text })
    await send('response.reasoning_summary_part.done', {
      ...at,
      summary_index: 0,
      part: { ...part, text },
    })
    // Opaque like the real one; the gateway must hand it back unchanged on the next turn.
    const encrypted_content = `gAAAAB${rand(32)}`
    const item = {
      type: 'reasoning',
      id: at.item_id,
      summary: [{ ...part, text }],
      encrypted_content,
    }
    await send('response.output_item.done', { output_index: at.output_index, item })
    output.push(item)
    reasoningTokens = tokens(text)
  }

  if (m.reply === 'tool_call_done_only' || m.reply === 'custom_tool_call') {
    // The call arrives whole in output_item.done: no `added`, no argument deltas.
    const tools = Array.isArray(body.tools) ? (body.tools as Item[]) : []
    const tool = tools[0]
    const name = String(tool?.name ?? 'get_weather')
    const callId = `call_${rand(12)}`
    const item =
      m.reply === 'custom_tool_call'
        ? {
            type: 'custom_tool_call',
            id: `ctc_${rand(12)}`,
            call_id: callId,
            name,
            input: '*** Begin Patch\n*** End Patch',
          }
        : {
            type: 'function_call',
            id: `fc_${rand(12)}`,
            call_id: callId,
            name,
            arguments: sampleArguments(tool),
            status: 'completed',
          }
    await send('response.output_item.done', { output_index: output.length, item })
    output.push(item)
    outputTokens = 5
  } else if (m.reply === 'tool_call') {
    const tools = Array.isArray(body.tools) ? (body.tools as Item[]) : []
    const tool = tools[0]
    const name = String(tool?.name ?? (tool?.function as Item | undefined)?.name ?? 'get_weather')
    const args = sampleArguments(tool)
    const base = { type: 'function_call', id: `fc_${rand(12)}`, call_id: `call_${rand(12)}`, name }
    const at = { item_id: base.id, output_index: output.length }
    await send('response.output_item.added', {
      output_index: at.output_index,
      item: { ...base, arguments: '', status: 'in_progress' },
    })
    for (const delta of deltas(args))
      await send('response.function_call_arguments.delta', { ...at, delta })
    await send('response.function_call_arguments.done', { ...at, arguments: args })
    const item = { ...base, arguments: args, status: 'completed' }
    await send('response.output_item.done', { output_index: at.output_index, item })
    output.push(item)
    outputTokens = tokens(args)
  } else {
    const text = m.text ?? 'OK'
    const at = { item_id: `msg_${rand(12)}`, output_index: output.length, content_index: 0 }
    const part = { type: 'output_text', text: '', annotations: [] }
    const msg = { type: 'message', id: at.item_id, role: 'assistant' }
    await send('response.output_item.added', {
      output_index: at.output_index,
      item: { ...msg, status: 'in_progress', content: [] },
    })
    await send('response.content_part.added', { ...at, part })
    for (const delta of deltas(text)) await send('response.output_text.delta', { ...at, delta })
    await send('response.output_text.done', { ...at, text })
    await send('response.content_part.done', { ...at, part: { ...part, text } })
    const item = { ...msg, status: 'completed', content: [{ ...part, text }] }
    await send('response.output_item.done', { output_index: at.output_index, item })
    output.push(item)
    outputTokens = tokens(text)
  }

  const inputTokens = tokens(JSON.stringify(body.input ?? '') + String(body.instructions ?? ''))
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: Math.min(inputTokens, m.cachedTokens ?? 0) },
    output_tokens: outputTokens + reasoningTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: inputTokens + outputTokens + reasoningTokens,
  }
  const final = m.reply === 'empty-output' ? [] : output
  await send('response.completed', {
    response: { ...head, status: 'completed', output: final, usage },
  })
  await trail()
  if (!closed && !cut) res.end()
}
