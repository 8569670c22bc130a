/**
 * The Codex device-code flow (docs/protocol.md#2-device-code-flow). Not RFC 8628: a user code, a
 * poll that answers
 * 403/404 while pending, then an authorization-code exchange with a server-minted PKCE pair.
 * Each function makes exactly one request; the caller owns the schedule.
 */
import * as z from '../zod.js'
import type { Config } from '../config.js'
import { parseJson, send, statusError, type HttpResponse } from '../http.js'
import { registerSecret } from '../redact.js'
import { SkillError } from '../result.js'

const text = () => z.string().check(z.minLength(1))
const UserCode = z.object({
  device_auth_id: text(),
  user_code: z.optional(text()),
  usercode: z.optional(text()),
  // The server sends the interval as a JSON string ("5"); a missing one means 0
  // (docs/protocol.md#2-device-code-flow).
  interval: z.optional(
    z.union([z.string().check(z.regex(/^\d+$/)), z.int().check(z.nonnegative())]),
  ),
})

export interface UserCode {
  device_auth_id: string
  user_code: string
  interval_s: number
}

/** POST {issuer}/api/accounts/deviceauth/usercode. @throws `device_login_unavailable` on 404. */
export async function requestUserCode(cfg: Config, now: number): Promise<UserCode> {
  const res = await send({
    method: 'POST',
    url: `${cfg.issuer}/api/accounts/deviceauth/usercode`,
    json: { client_id: cfg.clientId },
    timeoutMs: cfg.timeoutMs,
    proxy: cfg.proxy,
  })
  return parseUserCode(res, now)
}

/**
 * Parses the usercode response (separated from the request so it is testable without HTTP).
 * @throws SkillError `device_login_unavailable` (404), `rate_limited`, `upstream_rejected`, `upstream_error`, `invalid_response`.
 * @see docs/protocol.md#step-1-request-a-user-code
 */
export function parseUserCode(res: HttpResponse, now: number): UserCode {
  if (res.status === 404) {
    throw new SkillError(
      'device_login_unavailable',
      'Device-code sign-in is not enabled for this account or server',
    )
  }
  if (res.status !== 200) throw statusError(res, 'The device-code request', now)
  const body = parseJson(res, UserCode, 'The device-code endpoint')
  const user_code = body.user_code ?? body.usercode
  if (!user_code)
    throw new SkillError('invalid_response', 'The device-code endpoint sent no user_code')
  registerSecret(body.device_auth_id)
  return { device_auth_id: body.device_auth_id, user_code, interval_s: Number(body.interval ?? 0) }
}

const Approved = z.object({
  authorization_code: text(),
  code_challenge: text(),
  code_verifier: text(),
})

export type PollOutcome =
  { state: 'pending' } | { state: 'approved'; authorization_code: string; code_verifier: string }

/**
 * POST {issuer}/api/accounts/deviceauth/token, once.
 * @throws SkillError `access_denied`, `device_code_expired`, `rate_limited`, `upstream_error`, `invalid_response`, `timeout`, `network_error`.
 * @see docs/protocol.md#step-3-poll
 */
export async function pollDeviceToken(
  cfg: Config,
  pending: { device_auth_id: string; user_code: string },
  now: number,
): Promise<PollOutcome> {
  const res = await send({
    method: 'POST',
    url: `${cfg.issuer}/api/accounts/deviceauth/token`,
    json: { device_auth_id: pending.device_auth_id, user_code: pending.user_code },
    timeoutMs: cfg.timeoutMs,
    proxy: cfg.proxy,
  })
  return parsePoll(res, now)
}

/**
 * 403/404 = still pending (body not read, as the CLI does); 200 = approved; else fatal.
 * @throws SkillError `access_denied`, `device_code_expired`, `rate_limited`, `upstream_error`, `invalid_response`.
 * @see docs/protocol.md#step-3-poll
 */
export function parsePoll(res: HttpResponse, now: number): PollOutcome {
  if (res.status === 403 || res.status === 404) return { state: 'pending' }
  if (res.status === 200) {
    const body = parseJson(res, Approved, 'The device-token endpoint')
    registerSecret(body.authorization_code)
    registerSecret(body.code_verifier)
    return {
      state: 'approved',
      authorization_code: body.authorization_code,
      code_verifier: body.code_verifier,
    }
  }
  if (res.status === 429 || res.status >= 500) throw statusError(res, 'The device-token poll', now)
  // The CLI cannot tell "denied" from "expired" here either: the body is not specified.
  const text = res.text.toLowerCase()
  if (text.includes('expire')) {
    throw new SkillError(
      'device_code_expired',
      `The sign-in code is no longer valid (HTTP ${res.status})`,
    )
  }
  throw new SkillError(
    'access_denied',
    `The sign-in was not approved (HTTP ${res.status}); it may have been declined or cancelled`,
  )
}
