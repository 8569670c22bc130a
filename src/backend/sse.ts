/**
 * Reading the Codex SSE stream: events as they arrive (eventsource-parser), and the final
 * response rebuilt from `response.output_item.done`, because `response.completed` has been seen
 * with `output: []` after a fully streamed answer.
 */
import { createParser } from 'eventsource-parser'
import {
  partsOf,
  type CompleteResponse,
  type EventData,
  type OutputItem,
  type ResponseObject,
} from './events.js'

/** One SSE event. `data` is parsed on first read: a pass-through of a delta never parses it. */
export class StreamEvent {
  private parsed: EventData | undefined
  constructor(
    /** The `type` of the event (the SSE event name, else the data's own `type`). */
    readonly type: string,
    /** The data line as received, for pass-through. */
    readonly raw: string,
    parsed?: EventData,
  ) {
    this.parsed = parsed
  }

  /** The data as JSON (`{}` when it is not an object). */
  get data(): EventData {
    if (this.parsed === undefined) {
      try {
        const v: unknown = JSON.parse(this.raw)
        this.parsed = v && typeof v === 'object' ? (v as EventData) : {}
      } catch {
        this.parsed = {}
      }
    }
    return this.parsed
  }
}

function toEvent(data: string, event: string | undefined): StreamEvent | undefined {
  // Named events are typed by their name (the Codex backend names every one); only unnamed
  // ones are parsed here, to learn their type.
  if (event && event !== 'message') return new StreamEvent(event, data)
  try {
    const v = JSON.parse(data) as EventData | null
    if (!v || typeof v !== 'object') return undefined
    return new StreamEvent(typeof v.type === 'string' ? v.type : 'message', data, v)
  } catch {
    return undefined // a keep-alive or a non-JSON line: nothing to pass on
  }
}

/**
 * Yields the events of an SSE byte stream one network chunk at a time, so a pass-through writes
 * once per chunk, as a plain pipe would, not once per event. A malformed event is skipped.
 * @throws the body's own error (the connection broke).
 * @see docs/protocol.md#stream-events
 */
export async function* readBatches(
  body: AsyncIterable<Buffer | string>,
): AsyncGenerator<StreamEvent[]> {
  let batch: StreamEvent[] = []
  const parser = createParser({
    onEvent(e) {
      const ev = toEvent(e.data, e.event)
      if (ev) batch.push(ev)
    },
  })
  const decoder = new TextDecoder()
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
    if (batch.length) {
      const out = batch
      batch = []
      yield out
    }
  }
}

/**
 * A pass-through of an SSE stream that forwards the bytes as received and reads them on the
 * side: {@link split} cuts each network chunk into `raw` (complete events, to forward untouched,
 * then {@link parse} for the record) and `rest` (from the first event that mentions `marker`:
 * parse it and write what it becomes). An incomplete event waits for its end, so what is
 * forwarded always ends on an event boundary and an error event can follow it. A stream with
 * CR line ends goes wholly through `rest` (parsed and re-emitted).
 */
export class SsePassThrough {
  private pending = ''
  private crlf = false
  private readonly decoder = new TextDecoder()
  private out: StreamEvent[] = []
  private readonly parser = createParser({
    onEvent: (e) => {
      const ev = toEvent(e.data, e.event)
      if (ev) this.out.push(ev)
    },
  })

  constructor(private readonly marker: string) {}

  split(chunk: Buffer | string): { raw: string; rest: string } {
    const text =
      this.pending +
      (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }))
    if (this.crlf || text.includes('\r')) {
      // The parser keeps partial lines itself; nothing is forwarded raw from here on.
      this.crlf = true
      this.pending = ''
      return { raw: '', rest: text }
    }
    const end = text.lastIndexOf('\n\n') + 2
    if (end < 2) {
      this.pending = text
      return { raw: '', rest: '' }
    }
    this.pending = text.slice(end)
    const complete = end === text.length ? text : text.slice(0, end)
    const at = complete.indexOf(this.marker)
    if (at < 0) return { raw: complete, rest: '' }
    const before = complete.lastIndexOf('\n\n', at)
    const start = before < 0 ? 0 : before + 2
    return { raw: complete.slice(0, start), rest: complete.slice(start) }
  }

  /** The events in text that {@link split} returned. */
  parse(text: string): StreamEvent[] {
    this.parser.feed(text)
    const out = this.out
    this.out = []
    return out
  }
}

/**
 * Yields parsed events from an SSE byte stream.
 * @throws the body's own error (the connection broke).
 * @see docs/protocol.md#stream-events
 */
export async function* readEvents(
  body: AsyncIterable<Buffer | string>,
): AsyncGenerator<StreamEvent> {
  for await (const batch of readBatches(body)) yield* batch
}

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
  failed: unknown

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one event in; only the ones that build the answer are kept. Never fails. */
  add(ev: StreamEvent): void {
    if (!COLLECTED.has(ev.type)) return
    const d = ev.data
    if (ev.type === 'response.created' || ev.type === 'response.in_progress')
      this.base = { ...this.base, ...d.response }
    else if (ev.type === 'response.output_item.done' && d.item)
      this.items.set(Number(d.output_index ?? this.items.size), d.item)
    else if (ev.type === 'response.completed' || ev.type === 'response.incomplete')
      this.completed = d.response ?? {}
    else if (ev.type === 'response.failed' || ev.type === 'error')
      this.failed = d.response?.error ?? d.error ?? d
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
