/**
 * Reads the claims the Codex CLI reads (docs/protocol.md#5-jwt-claims-the-cli-reads). Signatures
 * are not checked: the tokens
 * come straight from the issuer over TLS and are only ever sent back to it.
 */
const AUTH = 'https://api.openai.com/auth'
const PROFILE = 'https://api.openai.com/profile'

export interface Claims {
  email: string | null
  plan: string | null
  account_id: string | null
  user_id: string | null
  /** Epoch ms. */
  exp: number | null
  iat: number | null
}

function payload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1]
  if (!part) return {}
  try {
    const obj = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return obj && typeof obj === 'object' ? obj : {}
  } catch {
    return {}
  }
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null)
const secs = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v * 1000 : null)
const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {})

/**
 * Decodes the claims of an id_token or access token; unknown or malformed fields are null.
 * Never throws: a malformed token gives null claims.
 * @see docs/protocol.md#5-jwt-claims-the-cli-reads
 */
export function readClaims(jwt: string): Claims {
  const p = payload(jwt)
  const auth = obj(p[AUTH])
  return {
    email: str(p.email) ?? str(obj(p[PROFILE]).email),
    plan: str(auth.chatgpt_plan_type),
    account_id: str(auth.chatgpt_account_id),
    user_id: str(auth.chatgpt_user_id) ?? str(auth.user_id),
    exp: secs(p.exp),
    iat: secs(p.iat),
  }
}
