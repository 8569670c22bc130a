/**
 * Reading a request body: capped (by `Content-Length` before reading, and by the bytes that
 * arrive), then parsed as JSON. Nothing is buffered past the cap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** The largest body the gateway reads, in bytes. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024

/** The deepest nesting of arrays and objects a body may have (a JSON Schema needs a few dozen). */
export const MAX_BODY_DEPTH = 128

/** How long the rest of a refused body is read (and dropped) after the 413 is written. */
export const DRAIN_MS = 5_000

/** A body that could not be read, as the gateway answers it. */
export interface BodyRefusal {
  status: 400 | 413
  code: 'request_too_large' | 'invalid_json' | 'invalid_request_body'
  message: string
}

const tooLarge: BodyRefusal = {
  status: 413,
  code: 'request_too_large',
  message: `Request bodies are limited to ${MAX_BODY_BYTES} bytes`,
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        // Not destroyed: a reset would lose the 413 the client is about to read (see drain).
        req.off('data', onData)
        req.pause()
        chunks.length = 0
        resolve('too_large')
      } else chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * Reads and parses a JSON body. Refusals: 413 `request_too_large` (over {@link MAX_BODY_BYTES}),
 * 400 `invalid_json`. Shapes are checked afterwards, by the dialect's schema.
 * @throws the request stream's own error (a connection reset mid-body).
 * @see docs/gateway.md#request-bodies
 */
export async function readJsonBody(
  req: IncomingMessage,
): Promise<{ ok: true; json: unknown } | ({ ok: false } & BodyRefusal)> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return { ok: false, ...tooLarge }
  const raw = await readBody(req)
  if (raw === 'too_large') return { ok: false, ...tooLarge }
  let json: unknown
  try {
    json = JSON.parse(raw.toString('utf8'))
  } catch {
    return {
      ok: false,
      status: 400,
      code: 'invalid_json',
      message: 'The request body must be a JSON object',
    }
  }
  const bad = shapeProblem(json)
  if (bad) return { ok: false, status: 400, code: 'invalid_request_body', message: bad }
  return { ok: true, json }
}

/** Control characters: never part of a real field name, and fatal in a header value. */
// eslint-disable-next-line no-control-regex
const CTL = /[\u0000-\u001f\u007f]/

/**
 * What no schema can check safely, found without recursion (so no depth overflows the stack):
 * nesting past {@link MAX_BODY_DEPTH} (5,000 levels once overflowed a later recursive walk), and
 * a key with a control character (a CRLF key once reached a response header after the upstream
 * had answered: a 500 with the user's quota spent). Returns the problem, or undefined.
 */
export function shapeProblem(json: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[json, 1]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (!v || typeof v !== 'object') continue
    if (depth > MAX_BODY_DEPTH) return `The body nests deeper than ${MAX_BODY_DEPTH} levels`
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, depth + 1])
      continue
    }
    for (const [k, x] of Object.entries(v)) {
      if (CTL.test(k)) return `A body key contains a control character: ${JSON.stringify(k)}`
      stack.push([x, depth + 1])
    }
  }
  return undefined
}

/**
 * Answers a body over the cap with 413 `request_too_large` so the client can read it: the
 * answer goes out at once, the rest of the body is read and dropped until it ends or for
 * {@link DRAIN_MS}, and only then is the connection closed. Closing while the client still
 * writes would reset it, and a reset loses the answer in the client's buffer (issue 16: 2 tries
 * of 3). Never fails.
 * @see docs/gateway.md#request-bodies
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, message: string): void {
  const text = JSON.stringify({
    error: { message, type: 'invalid_request_error', code: 'request_too_large', param: null },
  })
  res.writeHead(413, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    connection: 'close',
  })
  res.write(text)
  const done = () => {
    clearTimeout(timer)
    if (!res.writableEnded) res.end()
  }
  const timer = setTimeout(done, DRAIN_MS)
  timer.unref()
  req.on('end', done)
  req.on('error', done)
  req.on('close', done)
  req.resume()
}
