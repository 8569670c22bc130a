/**
 * Reading a request body: capped (by `Content-Length` before reading, and by the bytes that
 * arrive), then parsed as JSON. Nothing is buffered past the cap.
 */
import type { IncomingMessage } from 'node:http'

/** The largest body the gateway reads, in bytes. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024

/** A body that could not be read, as the gateway answers it. */
export interface BodyRefusal {
  status: 400 | 413
  code: 'request_too_large' | 'invalid_json'
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
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        resolve('too_large')
        req.destroy()
      } else chunks.push(c)
    })
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
  try {
    return { ok: true, json: JSON.parse(raw.toString('utf8')) }
  } catch {
    return {
      ok: false,
      status: 400,
      code: 'invalid_json',
      message: 'The request body must be a JSON object',
    }
  }
}
