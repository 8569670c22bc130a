/**
 * PKCE (RFC 7636, S256) and the OAuth `state` for the browser flow
 * (docs/protocol.md#31-authorize-url): the
 * verifier never leaves this machine; only its SHA-256 goes into the authorize URL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { registerSecret } from '../redact.js'

export interface Pkce {
  /** 64 random bytes, base64url: 86 characters, like the Codex CLI's. Secret. */
  verifier: string
  /** base64url(SHA-256(verifier)), no padding. */
  challenge: string
}

/**
 * base64url(SHA-256(text)) without padding.
 * Never throws.
 */
export const s256 = (text: string): string => createHash('sha256').update(text).digest('base64url')

/**
 * A fresh verifier and its S256 challenge. The verifier is registered for redaction.
 * Never throws. @see docs/protocol.md#31-authorize-url
 */
export function newPkce(): Pkce {
  const verifier = randomBytes(64).toString('base64url')
  registerSecret(verifier)
  return { verifier, challenge: s256(verifier) }
}

/**
 * 32 random bytes (256 bits), base64url: 43 characters, as `generate_state` makes it.
 * Never throws.
 */
export const newState = (): string => randomBytes(32).toString('base64url')

/**
 * Compares a received `state` with the expected one in constant time. Both sides are hashed
 * first, so neither the length nor any prefix of the expected value leaks through timing.
 * Never throws.
 */
export function sameState(expected: string, received: string | null | undefined): boolean {
  if (typeof received !== 'string' || expected.length === 0) return false
  const a = createHash('sha256').update(expected).digest()
  const b = createHash('sha256').update(received).digest()
  return timingSafeEqual(a, b)
}
