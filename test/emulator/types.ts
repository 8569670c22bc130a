/** Shared types of the loopback emulator. */
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface EmuAccount {
  email: string
  account_id: string
  plan: string
  user_id: string
}

/** Either a canned status (+ body, headers) or a kind of breakage; `times` limits how often. */
export interface Fault {
  status?: number
  body?: string
  headers?: Record<string, string>
  kind?: 'hang' | 'reset' | 'html502' | 'non-json' | 'wrong-shape'
  times?: number
}

export interface ResponsesMode {
  reply: 'text' | 'tool_call' | 'empty-output' | 'reasoning'
  text?: string
  mode?: 'ok' | 'usage_limit' | 'error500' | 'slow' | 'cut'
  slowMs?: number
}

export interface EmuModes {
  usercode: 'ok' | 'disabled' | 'error'
  interval: string
  pendingStatus: 403 | 404
  accessTtlS: number
  refresh: 'ok' | 'expired' | 'invalidated' | 'omit' | 'no-rotate'
  authorize: 'approve' | 'deny'
  authorizeErrorDescription?: string
  faults: Record<string, Fault>
  responses: ResponsesMode
  models: Record<string, unknown>[]
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: unknown
  at: number
}

export interface Stats {
  refreshes: number
  reuse: number
  revoked: number
  exchanges: number
  aborted: number
}

export interface Req {
  raw: IncomingMessage
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: unknown
  text: string
}

export type Handler = (req: Req, res: ServerResponse) => void | Promise<void>
