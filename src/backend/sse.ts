/**
 * Reading the Codex SSE stream: events as they arrive (eventsource-parser), in network-chunk
 * batches, or passed through byte for byte and read on the side. The answer rebuilt from them is
 * collect.ts.
 * @see docs/protocol.md#stream-events
 */
import { createParser } from 'eventsource-parser'
import type { EventData } from './events.js'

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
 * then {@link parse} for the record) and `rest` (from the first event that mentions a marker:
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

  /** `markers`: the texts whose event is parsed and rewritten instead of passed on as is. */
  constructor(private readonly markers: readonly string[]) {}

  /** Where the first marker starts in `text`, or -1. */
  private firstMarker(text: string): number {
    let at = -1
    for (const m of this.markers) {
      const i = text.indexOf(m)
      if (i >= 0 && (at < 0 || i < at)) at = i
    }
    return at
  }

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
    const at = this.firstMarker(complete)
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

// `verify` reads its answer through these.
export { outputText, ResponseCollector } from './collect.js'
