/**
 * POST /backend-api/codex/responses: validates like the real backend (§9.4) and streams SSE
 * (§9.5): text deltas, function calls with argument deltas, reasoning summaries, completion.
 */
import type { ServerResponse } from 'node:http'
import { json } from './http-util.js'
import type { EmuState } from './state.js'
import { rand } from './tokens.js'
import type { Req } from './types.js'

const REFUSED = ['max_output_tokens', 'max_tokens', 'temperature', 'top_p', 'stop', 'metadata']

function reject(s: EmuState, body: Record<string, unknown> | null): string | null {
  if (!body) return null // zstd body we cannot read on this Node: accept, as the real one would
  if (body.store !== false) return 'Store must be set to false'
  if (typeof body.instructions !== 'string' || !body.instructions) return 'Instructions are required'
  if (body.stream !== true) return 'Stream must be set to true'
  for (const p of REFUSED) if (p in body) return `Unsupported parameter: ${p}`
  const input = Array.isArray(body.input) ? body.input : []
  if (input.some((i) => (i as { role?: string })?.role === 'system')) return 'System messages are not allowed'
  const known = s.modes.models.some((m) => m.slug === body.model)
  if (!known) return `The '${String(body.model)}' model is not supported when using Codex with a ChatGPT account.`
  return null
}

export async function streamResponse(s: EmuState, req: Req, res: ServerResponse, now: () => number) {
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : null
  const problem = reject(s, body)
  if (problem) return json(res, 400, { detail: problem })
  const m = s.modes.responses
  const resetAt = Math.floor(now() / 1000) + 3600
  if (m.mode === 'usage_limit') {
    return json(res, 429, {
      error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: s.account.plan, resets_at: resetAt, resets_in_seconds: 3600 },
    })
  }
  if (m.mode === 'error500') return json(res, 500, { detail: 'Internal server error' })

  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-codex-primary-used-percent': '12.0',
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-at': String(resetAt),
    'x-codex-secondary-used-percent': '40.0',
    'x-codex-secondary-window-minutes': '10080',
    'x-codex-secondary-reset-at': String(resetAt + 86400),
  })
  let closed = false
  res.on('close', () => {
    if (!res.writableFinished) {
      closed = true
      s.stats.aborted++
    }
  })
  const delay = m.mode === 'slow' ? (m.slowMs ?? 200) : 0
  const id = `resp_${rand(8)}`
  const model = String(body?.model ?? 'unknown')
  const send = async (type: string, data: Record<string, unknown>) => {
    if (closed) return
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    if (delay) await new Promise((r) => setTimeout(r, delay))
  }
  const base = { id, object: 'response', created_at: Math.floor(now() / 1000), model }
  await send('response.created', { response: { ...base, status: 'in_progress', output: [] } })
  await send('response.in_progress', { response: { ...base, status: 'in_progress', output: [] } })

  const output: Record<string, unknown>[] = []
  let index = 0
  if (m.reply === 'reasoning') {
    const item = { type: 'reasoning', id: `rs_${rand(6)}`, summary: [{ type: 'summary_text', text: 'Thinking it over.' }] }
    await send('response.output_item.added', { output_index: index, item: { ...item, summary: [] } })
    for (const d of ['Thinking ', 'it over.']) {
      await send('response.reasoning_summary_text.delta', { item_id: item.id, output_index: index, summary_index: 0, delta: d })
    }
    await send('response.output_item.done', { output_index: index, item })
    output.push(item)
    index++
  }
  if (m.reply === 'tool_call') {
    const tools = Array.isArray(body?.tools) ? (body!.tools as { name?: string }[]) : []
    const name = tools[0]?.name ?? 'get_weather'
    const args = JSON.stringify({ city: 'Paris' })
    const item = { type: 'function_call', id: `fc_${rand(6)}`, call_id: `call_${rand(6)}`, name, arguments: args, status: 'completed' }
    await send('response.output_item.added', { output_index: index, item: { ...item, arguments: '' } })
    for (const d of [args.slice(0, 5), args.slice(5)]) {
      await send('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: d })
    }
    await send('response.function_call_arguments.done', { item_id: item.id, output_index: index, arguments: args })
    await send('response.output_item.done', { output_index: index, item })
    output.push(item)
  } else {
    const text = m.text ?? 'OK'
    const msgId = `msg_${rand(6)}`
    const part = { type: 'output_text', text: '', annotations: [] }
    await send('response.output_item.added', { output_index: index, item: { type: 'message', id: msgId, role: 'assistant', status: 'in_progress', content: [] } })
    await send('response.content_part.added', { item_id: msgId, output_index: index, content_index: 0, part })
    const n = Math.max(1, Math.min(3, text.length))
    const size = Math.ceil(text.length / n)
    for (let i = 0; i < text.length; i += size) {
      await send('response.output_text.delta', { item_id: msgId, output_index: index, content_index: 0, delta: text.slice(i, i + size) })
      if (m.mode === 'cut' && i === 0) {
        res.destroy() // the stream breaks mid-way: no completion event ever comes
        return
      }
    }
    await send('response.output_text.done', { item_id: msgId, output_index: index, content_index: 0, text })
    await send('response.content_part.done', { item_id: msgId, output_index: index, content_index: 0, part: { ...part, text } })
    const item = { type: 'message', id: msgId, role: 'assistant', status: 'completed', content: [{ ...part, text }] }
    await send('response.output_item.done', { output_index: index, item })
    output.push(item)
  }
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 }
  await send('response.completed', {
    response: { ...base, status: 'completed', output: m.reply === 'empty-output' ? [] : output, usage },
  })
  if (!closed) res.end()
}
