/**
 * How a stream that did not finish cleanly ends, per dialect: the failure becomes the same
 * OpenAI error object an HTTP answer would carry ({@link wireError}), and each dialect frames it
 * its own way ({@link ErrorFrame}): an `error` event for `/v1/responses`, an error chunk for
 * `/v1/chat/completions`. A new dialect adds one frame function.
 * @see docs/gateway.md#in-stream-failures
 */
import type { EventData } from '../backend/events.js'
import { streamFailure } from '../backend/failure.js'
import { streamError } from '../http.js'
import type { SkillError } from '../result.js'
import { errorBody, sse } from './reply.js'

/** The OpenAI error object: `{message, type, code, param, ...extra}`. */
export type WireError = Record<string, unknown> & { code: unknown; message: unknown }

/** Writes one wire error as the last frame of a dialect's stream. */
export type ErrorFrame = (error: WireError) => string

/** The error object for a failure, as the HTTP answer for it would carry it. Never fails. */
export const wireError = (err: unknown): WireError => errorBody(err).body.error as WireError

/** The error object of a stream the upstream cut before its completion. */
export const STREAM_CUT: WireError = {
  type: 'upstream_error',
  code: 'stream_interrupted',
  message: 'The upstream stream ended before the response completed.',
  param: null,
}

/**
 * Why a stream ended without its completion: the upstream's failure event, mapped like the
 * HTTP failure it stands for (`usage_limit_reached` with `resets_at`, ...), else the cut.
 */
export function endOfStream(failed: EventData | undefined, now: number): WireError {
  return failed ? wireError(streamFailure(failed, now)) : STREAM_CUT
}

/** `/v1/responses`: an `error` event, its code at the top (the event's shape) and in `error`. */
export const responsesErrorFrame: ErrorFrame = (e) =>
  sse({ type: 'error', code: e.code, message: e.message, param: null, error: e }, 'error')

/** `/v1/chat/completions`: a chunk holding only `error`, never followed by `[DONE]`. */
export const chatErrorFrame: ErrorFrame = (e) => sse({ error: e })

/** Whether a batch of events holds a failure (then it must not be passed on as is). */
export const isFailure = (type: string) => type === 'response.failed' || type === 'error'

/**
 * Codes what broke an upstream body: the idle bound -> `timeout` (504 before the first byte),
 * anything else -> `network_error` (502).
 */
export function upstreamFailure(err: unknown, idleMs: number): SkillError {
  return streamError(err, 'The upstream stream', idleMs)
}

/**
 * The error that ends a stream already under way: `timeout` when the upstream sent nothing for
 * the idle bound, else {@link STREAM_CUT}.
 */
export function streamEndError(err: unknown, idleMs: number): WireError {
  if (err === undefined || upstreamFailure(err, idleMs).code !== 'timeout') return STREAM_CUT
  return {
    type: 'timeout_error',
    code: 'timeout',
    message: `The upstream stream sent nothing for ${idleMs} ms.`,
    param: null,
  }
}
