/** Minting of fake-but-shaped secrets: JWTs (unsigned, never verified), refresh tokens, codes. */
import { createHash, randomBytes } from 'node:crypto'
import type { EmuAccount } from './types.js'

export const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'
const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url')
export const rand = (bytes: number) => randomBytes(bytes).toString('base64url')
export const alnum = (n: number) =>
  Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62]).join('')

export function jwt(claims: Record<string, unknown>): string {
  return `${b64(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}.${rand(32)}`
}

export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')

export function mintTokens(a: EmuAccount, issuer: string, nowMs: number, accessTtlS: number) {
  const iat = Math.floor(nowMs / 1000)
  const auth = { chatgpt_account_id: a.account_id, chatgpt_plan_type: a.plan }
  return {
    id_token: jwt({
      iss: issuer,
      aud: CLIENT_ID,
      iat,
      exp: iat + 3600,
      email: a.email,
      'https://api.openai.com/auth': { ...auth, chatgpt_user_id: a.user_id, user_id: a.user_id },
    }),
    access_token: jwt({ iat, exp: iat + accessTtlS, jti: rand(12), 'https://api.openai.com/auth': auth }),
    refresh_token: `rt_${alnum(48)}`,
  }
}
