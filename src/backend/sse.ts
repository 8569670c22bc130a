/**
 * Reading the Codex SSE stream: events as they arrive (eventsource-parser), and the final
 * response rebuilt from `response.output_item.done`, because `response.completed` has been seen
 * with `output: []` after a fully streamed answer.
 */
import { createParser } from 'eventsource-parser'

export interface StreamEvent {
  /** The `type` of the event (from the data, else the SSE event name). */
  type: string
  data: Record<string, any>
  /** The data line as received, for pass-through. */
  raw: string
}

/** Yields parsed events from an SSE byte stream. Malformed data lines are skipped. */
export async function* readEvents(body: AsyncIterable<Buffer | string>): AsyncGenerator<StreamEvent> {
  const queue: StreamEvent[] = []
  const parser = createParser({
    onEvent(e) {
      try {
        const data = JSON.parse(e.data) as Record<string, any>
        queue.push({ type: typeof data.type === 'string' ? data.type : (e.event ?? 'message'), data, raw: e.data })
      } catch {
        /* a keep-alive or a non-JSON line: nothing to pass on */
      }
    },
  })
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : chunk.toString('utf8'))
    while (queue.length) yield queue.shift()!
  }
}

/** Accumulates a stream into one complete Responses object. */
export class ResponseCollector {
  private base: Record<string, any> = {}
  private items = new Map<number, Record<string, any>>()
  completed: Record<string, any> | undefined
  failed: Record<string, any> | undefined

  add(ev: StreamEvent): void {
    const d = ev.data
    if (ev.type === 'response.created' || ev.type === 'response.in_progress') this.base = { ...this.base, ...d.response }
    else if (ev.type === 'response.output_item.done' && d.item) this.items.set(Number(d.output_index ?? this.items.size), d.item)
    else if (ev.type === 'response.completed' || ev.type === 'response.incomplete') this.completed = d.response ?? {}
    else if (ev.type === 'response.failed' || ev.type === 'error') this.failed = d.response?.error ?? d.error ?? d
  }

  /** The items, in output order, from the `done` events (or the completion's own list). */
  output(): Record<string, any>[] {
    const own = this.completed?.output
    if (Array.isArray(own) && own.length) return own
    return [...this.items.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item)
  }

  /** The complete response object SDKs expect. */
  response(): Record<string, any> {
    const r = { ...this.base, ...this.completed }
    const output = this.output().map(withAnnotations)
    const usage = r.usage ?? {}
    return {
      id: r.id,
      object: 'response',
      created_at: r.created_at ?? Math.floor(Date.now() / 1000),
      model: r.model,
      status: r.status ?? (this.completed ? 'completed' : 'incomplete'),
      output,
      output_text: outputText(output),
      usage: {
        input_tokens: Number(usage.input_tokens ?? 0),
        input_tokens_details: { cached_tokens: Number(usage.input_tokens_details?.cached_tokens ?? 0) },
        output_tokens: Number(usage.output_tokens ?? 0),
        output_tokens_details: { reasoning_tokens: Number(usage.output_tokens_details?.reasoning_tokens ?? 0) },
        total_tokens: Number(usage.total_tokens ?? Number(usage.input_tokens ?? 0) + Number(usage.output_tokens ?? 0)),
      },
      ...(r.incomplete_details ? { incomplete_details: r.incomplete_details } : {}),
    }
  }
}

/** SDKs read `annotations` on every output_text part. */
function withAnnotations(item: Record<string, any>): Record<string, any> {
  if (item.type !== 'message' || !Array.isArray(item.content)) return item
  return {
    ...item,
    content: item.content.map((p: Record<string, any>) =>
      p.type === 'output_text' ? { annotations: [], ...p } : p,
    ),
  }
}

/** The concatenated text of the message items. */
export function outputText(output: Record<string, any>[]): string {
  return output
    .filter((i) => i.type === 'message')
    .flatMap((i) => (Array.isArray(i.content) ? i.content : []))
    .filter((p: Record<string, any>) => p.type === 'output_text')
    .map((p: Record<string, any>) => String(p.text ?? ''))
    .join('')
}
