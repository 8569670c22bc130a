/** Fake-but-shaped secrets: unsigned JWTs (never verified,
 * docs/protocol.md#5-jwt-claims-the-cli-reads), refresh tokens, codes, PKCE. */
import { createHash, randomBytes, randomInt } from 'node:crypto'
import type { EmuAccount } from './state.js'

/** The Codex CLI's OAuth client id (docs/protocol.md#1-constants). */
export const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url')

/** `bytes` random bytes as base64url without padding. */
export const rand = (bytes: number): string => randomBytes(bytes).toString('base64url')

/** `n` random letters and digits. */
export const alnum = (n: number): string =>
  Array.from({ length: n }, () => ALNUM[randomInt(ALNUM.length)]).join('')

/** A device user code shaped like the real ones, e.g. `QXVT-4821`. */
export const userCode = (): string => {
  const letters = Array.from({ length: 4 }, () => ALNUM[randomInt(26)]).join('')
  return `${letters}-${String(randomInt(10_000)).padStart(4, '0')}`
}

/** PKCE S256: base64url(SHA-256(verifier)) without padding. */
export const s256 = (verifier: string): string =>
  createHash('sha256').update(verifier).digest('base64url')

/** An RS256-labelled JWT with a random signature: clients only ever decode the payload. */
export function jwt(claims: Record<string, unknown>): string {
  return `${b64(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}.${rand(64)}`
}

/** Decodes a JWT's payload (for tests); null when it is not one. */
export function decodeJwt(token: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
  } catch {
    return null
  }
}

/** A fresh id_token / access_token / refresh_token triple for `a`, stamped with the emulator clock. */
export function mintTokens(a: EmuAccount, issuer: string, nowMs: number, accessTtlS: number) {
  const iat = Math.floor(nowMs / 1000)
  const auth = { chatgpt_account_id: a.account_id, chatgpt_plan_type: a.plan }
  return {
    id_token: jwt({
      iss: issuer,
      aud: CLIENT_ID,
      sub: a.user_id,
      iat,
      exp: iat + 3600,
      email: a.email,
      email_verified: true,
      'https://api.openai.com/auth': { ...auth, chatgpt_user_id: a.user_id, user_id: a.user_id },
    }),
    access_token: jwt({
      iss: issuer,
      client_id: CLIENT_ID,
      iat,
      exp: iat + accessTtlS,
      // Unique per mint: two logins in the same second must not collide.
      jti: rand(16),
      'https://api.openai.com/auth': auth,
    }),
    refresh_token: `rt_${alnum(48)}`,
  }
}
