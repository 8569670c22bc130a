/**
 * The final answer rebuilt from a stream: `response.completed` has been seen with `output: []`
 * after a fully streamed answer, so the items come from `response.output_item.done`.
 * @see docs/protocol.md#stream-events
 */
import {
  partsOf,
  type CompleteResponse,
  type EventData,
  type OutputItem,
  type ResponseObject,
} from './events.js'

const COLLECTED = new Set([
  'response.created',
  'response.in_progress',
  'response.output_item.done',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'error',
])

/**
 * Accumulates a stream into one complete Responses object. `now` is the injected clock (read
 * only when the backend sent no `created_at`).
 */
export class ResponseCollector {
  private base: ResponseObject = {}
  private items = new Map<number, OutputItem>()
  completed: ResponseObject | undefined
  /** The data of the first `response.failed` or `error` event (map it with `streamFailure`). */
  failed: EventData | undefined

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one event in; only the ones that build the answer are kept. Never fails. */
  add(ev: { type: string; data: EventData }): void {
    if (!COLLECTED.has(ev.type)) return
    const d = ev.data
    if (ev.type === 'response.created' || ev.type === 'response.in_progress')
      this.base = { ...this.base, ...d.response }
    else if (ev.type === 'response.output_item.done' && d.item)
      this.items.set(Number(d.output_index ?? this.items.size), d.item)
    else if (ev.type === 'response.completed' || ev.type === 'response.incomplete')
      this.completed = d.response ?? {}
    else if (ev.type === 'response.failed' || ev.type === 'error') this.failed ??= d
  }

  /** The items, in output order, from the `done` events (or the completion's own list). */
  output(): OutputItem[] {
    const own = this.completed?.output
    if (Array.isArray(own) && own.length) return own
    return [...this.items.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item)
  }

  /** The complete response object SDKs expect. */
  response(): CompleteResponse {
    const r: ResponseObject = { ...this.base, ...this.completed }
    const output = this.output().map(withAnnotations)
    const usage = r.usage ?? {}
    return {
      id: r.id,
      object: 'response',
      created_at: r.created_at ?? Math.floor(this.now() / 1000),
      model: r.model,
      status: r.status ?? (this.completed ? 'completed' : 'incomplete'),
      output,
      output_text: outputText(output),
      usage: {
        input_tokens: Number(usage.input_tokens ?? 0),
        input_tokens_details: {
          cached_tokens: Number(usage.input_tokens_details?.cached_tokens ?? 0),
        },
        output_tokens: Number(usage.output_tokens ?? 0),
        output_tokens_details: {
          reasoning_tokens: Number(usage.output_tokens_details?.reasoning_tokens ?? 0),
        },
        total_tokens: Number(
          usage.total_tokens ?? Number(usage.input_tokens ?? 0) + Number(usage.output_tokens ?? 0),
        ),
      },
      ...(r.incomplete_details ? { incomplete_details: r.incomplete_details } : {}),
    }
  }
}

/** SDKs read `annotations` on every output_text part. */
function withAnnotations(item: OutputItem): OutputItem {
  if (item.type !== 'message' || !Array.isArray(item.content)) return item
  return {
    ...item,
    content: partsOf(item).map((p) => (p.type === 'output_text' ? { annotations: [], ...p } : p)),
  }
}

/** The concatenated text of the message items. Never fails. */
export function outputText(output: OutputItem[]): string {
  return output
    .filter((i) => i.type === 'message')
    .flatMap(partsOf)
    .filter((p) => p.type === 'output_text')
    .map((p) => String(p.text ?? ''))
    .join('')
}
