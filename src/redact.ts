/**
 * The redaction layer between every error and its output.
 *
 * Two nets: exact values this process has handled (tokens read from disk or received from the
 * issuer are registered as they pass), and shapes that look like secrets whatever their origin
 * (JWTs, refresh tokens, API keys, bearer headers, secret-named query or JSON fields, long
 * high-entropy runs). Output of this project goes into LLM transcripts, so we err on the side
 * of scrubbing.
 */

const known = new Set<string>()
/** A piece of a known secret this long is scrubbed too: error snippets cut tokens mid-way. */
const PIECE = 16
/** Every PIECE-long window of every known secret (cut from `unsplit` when first needed). */
const pieces = new Set<string>()
/**
 * Secrets not yet cut into pieces. Cutting is deferred to the first redaction: every call reads
 * ~3 KB of tokens and registers them, but most calls never redact anything, and cutting every
 * window up front cost a cold `status` ~0.5 ms.
 */
const unsplit: string[] = []

/**
 * Remember a secret so any later message that embeds it (or a 16+ char piece of it) is scrubbed.
 * Never throws.
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 8 || known.has(value)) return
  known.add(value)
  unsplit.push(value)
}

/** Masks every run of text made of windows of known secrets (at least PIECE characters long). */
function scrubPieces(text: string): string {
  for (const value of unsplit.splice(0)) {
    for (let i = 0; i + PIECE <= value.length; i++) pieces.add(value.slice(i, i + PIECE))
  }
  if (pieces.size === 0 || text.length < PIECE) return text
  let out = ''
  let from = 0
  let i = 0
  while (i + PIECE <= text.length) {
    if (!pieces.has(text.slice(i, i + PIECE))) {
      i++
      continue
    }
    let end = i + PIECE
    while (end < text.length && pieces.has(text.slice(end + 1 - PIECE, end + 1))) end++
    out += `${text.slice(from, i)}${MASK}`
    from = i = end
  }
  return out + text.slice(from)
}

const MASK = '[redacted]'

const SECRET_FIELDS =
  'access_token|refresh_token|id_token|code_verifier|device_auth_id|authorization_code|token|api_key|client_secret|subject_token'

const PATTERNS: RegExp[] = [
  // JWT-shaped: header.payload[.signature]
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g,
  // OpenAI refresh tokens and API keys
  /\brt_[A-Za-z0-9._-]{8,}/g,
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  // Authorization headers
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // secret-named query parameters and form fields: code=..., refresh_token=...
  new RegExp(`\\b(code|${SECRET_FIELDS})=([^&\\s"'<>]{6,})`, 'gi'),
  // secret-named JSON fields: "refresh_token":"..."
  new RegExp(`"(${SECRET_FIELDS})"\\s*:\\s*"([^"]{6,})"`, 'gi'),
  // long high-entropy runs (verifiers, opaque ids): 40+ url-safe chars with a digit and both cases
  /\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])[A-Za-z0-9_-]{40,}\b/g,
]

/**
 * Scrubs a string of anything secret-shaped or known. Idempotent and cheap on clean text.
 * Never throws.
 */
export function redact(text: string): string {
  let out = text
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(MASK)
  }
  out = scrubPieces(out)
  // Credentials in a URL (a proxy's user:password@): kept as scheme://***@host, as doctor shows it.
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, '$1***@')
  for (const re of PATTERNS) {
    out = out.replace(re, (match, name?: string, value?: string) => {
      if (typeof value === 'string' && typeof name === 'string' && /^[a-z_]+$/i.test(name)) {
        return match.replace(value, MASK)
      }
      if (typeof name === 'string' && /^(bearer|basic)$/i.test(name)) return `${name} ${MASK}`
      return MASK
    })
  }
  return out
}

/**
 * Redacts every string inside a JSON-like value (used for log lines and results).
 * Never throws.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T
  if (Array.isArray(value)) return value.map(redactDeep) as T
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v)
    return out as T
  }
  return value
}
