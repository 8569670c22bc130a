/**
 * A streamed response body fed straight from undici's dispatcher (`Dispatcher.dispatch` with a
 * handler), for the gateway's hot path. Why not `request()`'s body: that is a full Node
 * Readable with its own event plumbing, an async iterator over it, and an abort-signal
 * listener per request; on this project's 2-core VM that machinery cost the gateway ~0.2 ms of
 * CPU per proxied stream, a fifth of what a bare proxy spends in all (docs/performance.md).
 * Here each network chunk is one array push, and a waiting reader is one resolved promise.
 */
import type { Dispatcher } from 'undici'

type Controller = Dispatcher.DispatchController

/** More than this many unread bytes pause the upstream socket until the reader catches up. */
const HIGH_WATER = 64 * 1024

/**
 * The body of a streaming response: read it once with `for await`, or {@link text}, or
 * {@link resume} to discard it. Leaving a `for await` early, or {@link destroy}, aborts the
 * upstream request.
 */
export class StreamBody implements AsyncIterableIterator<Buffer> {
  private queue: Buffer[] = []
  private queued = 0
  private waiting:
    { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined
  private ended = false
  private failure: unknown
  private closed = false
  private discard = false
  private closeListeners: (() => void)[] = []
  private scheduled = false

  constructor(private readonly controller: () => Controller | undefined) {}

  /** True once the body has ended, failed or been destroyed. */
  get destroyed(): boolean {
    return this.closed
  }

  /** Runs `fn` once the body has ended, failed or been destroyed (at once if it has). */
  onClose(fn: () => void): void {
    if (this.closed) fn()
    else this.closeListeners.push(fn)
  }

  /** @internal the dispatcher's side: one network chunk. */
  push(chunk: Buffer): void {
    if (this.closed || this.discard) return
    this.queue.push(chunk)
    this.queued += chunk.length
    if (this.queued > HIGH_WATER) this.controller()?.pause()
    // A waiting reader gets everything this read of the socket brought, in one piece: undici
    // hands over one chunk per HTTP chunk, all in one go, and a reader that wrote each as it
    // came made one socket write per event where a pipe makes one per read.
    if (this.waiting && !this.scheduled) {
      this.scheduled = true
      queueMicrotask(this.deliver)
    }
  }

  private readonly deliver = () => {
    this.scheduled = false
    const w = this.waiting
    if (!w || !this.queue.length) return
    this.waiting = undefined
    w.resolve({ value: this.take(), done: false })
  }

  /** Everything queued, as one buffer. */
  private take(): Buffer {
    const q = this.queue
    const chunk = q.length === 1 ? q[0]! : Buffer.concat(q, this.queued)
    this.queue = []
    this.queued = 0
    this.controller()?.resume()
    if (this.ended) this.close()
    return chunk
  }

  /** @internal the dispatcher's side: the end (no error) or a failure of the body. */
  finish(err?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.failure = err
    // A reader waiting on queued chunks gets them first (deliver is on its way); the end or the
    // failure comes with its next read.
    if (this.queue.length) return
    const w = this.waiting
    this.waiting = undefined
    if (w) {
      if (err === undefined) w.resolve({ value: undefined, done: true })
      else w.reject(err)
    }
    this.close()
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    for (const fn of this.closeListeners.splice(0)) fn()
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.queue.length) return Promise.resolve({ value: this.take(), done: false })
    if (this.ended || this.closed) {
      this.close()
      return this.failure === undefined
        ? Promise.resolve({ value: undefined, done: true })
        : Promise.reject(this.failure)
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }))
  }

  /** Leaving a `for await` early: the rest is not wanted, the upstream request is aborted. */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** The whole body as text. @throws the body's own error. */
  async text(): Promise<string> {
    const decoder = new TextDecoder()
    let out = ''
    for await (const chunk of this) out += decoder.decode(chunk, { stream: true })
    return out + decoder.decode()
  }

  /** Reads the rest and drops it, so the connection stays reusable. Never throws. */
  resume(): void {
    this.discard = true
    this.queue = []
    this.queued = 0
    this.controller()?.resume()
    if (this.ended) this.close()
  }

  /** Aborts the upstream request (if it is still going) and ends the body. Never throws. */
  destroy(err?: unknown): void {
    if (!this.ended) {
      const abort = new Error('The response body was destroyed')
      abort.name = 'AbortError'
      this.controller()?.abort(abort)
      this.finish(err ?? abort)
    }
    this.queue = []
    this.queued = 0
    this.close()
  }
}

/** What {@link dispatchStream} resolves with once the response's headers are in. */
export interface StreamHead {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: StreamBody
}

/**
 * Sends one request through `dispatcher` and resolves with the status and headers as soon as
 * they arrive; the body follows in {@link StreamBody}. An abort of `signal` before the headers
 * rejects with the signal's reason, after them fails the body.
 * @throws (rejects with) undici's own errors: connection, headers timeout, abort.
 */
export function dispatchStream(
  dispatcher: Dispatcher,
  opts: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<StreamHead> {
  return new Promise((resolve, reject) => {
    let controller: Controller | undefined
    let started = false
    const body = new StreamBody(() => controller)
    const onAbort = () => {
      const reason = signal?.reason ?? new Error('aborted')
      if (controller) controller.abort(reason)
      else fail(reason)
    }
    const fail = (err: unknown) => {
      signal?.removeEventListener('abort', onAbort)
      if (started) body.finish(err)
      else reject(err)
    }
    if (signal?.aborted) return reject(signal.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    dispatcher.dispatch(opts, {
      onRequestStart(c) {
        controller = c
        if (signal?.aborted) c.abort(signal.reason)
      },
      onResponseStart(_c, status, headers) {
        started = true
        resolve({ status, headers, body })
      },
      onResponseData(_c, chunk) {
        body.push(chunk)
      },
      onResponseEnd() {
        signal?.removeEventListener('abort', onAbort)
        body.finish()
      },
      onResponseError(_c, err) {
        fail(err)
      },
    })
  })
}
