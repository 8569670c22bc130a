/** Small response helpers for the emulator. */
import type { ServerResponse } from 'node:http'

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function text(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export const isForm = (headers: Record<string, string>) =>
  (headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
export const isJson = (headers: Record<string, string>) =>
  (headers['content-type'] ?? '').includes('application/json')
