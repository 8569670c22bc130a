/**
 * One conversation, one key: every turn of a conversation goes upstream with the same
 * `prompt_cache_key` and `session-id`, so the backend's prompt cache serves the turns after the
 * first, and different conversations get different keys. It works on the upstream request, after
 * any dialect's translation, so every dialect gets the same rule.
 *
 * The rule: a client's own `prompt_cache_key` wins. Otherwise the key is derived from what stays
 * the same across the turns of one conversation: the model (which stands for its base
 * instructions), the caller's instructions and developer (and system) messages, and the first user message (the first non-developer item when there is
 * no user message). Never from a token or an account id. The derivation is an HMAC-SHA256 keyed
 * with a fixed domain-separation string, not a per-install secret: the key must survive a
 * gateway restart and be the same in every gateway process, with no state file, lock or write on
 * the request path; and its one reader is the backend, which already holds the prompt, so a
 * secret key would hide nothing from anyone who sees it. The key is a hash, shaped as a UUID
 * (what Codex itself sends): it holds no prompt text.
 * @see docs/gateway.md#one-conversation-one-key
 */
import { createHmac, createSecretKey } from 'node:crypto'
import type { UpstreamItem, UpstreamRequest } from '../backend/upstream-types.js'

/** Separates this use of HMAC from any other; changing it starts every conversation anew. */
const DOMAIN = createSecretKey(Buffer.from('chatgpt-codex-onboarding/gateway/prompt-cache-key/v1'))

/** The key and the session id a request goes upstream with. */
export interface ConversationKey {
  promptCacheKey: string
  sessionId: string
  /** Whether the client sent the key (`client`) or the gateway derived it (`derived`). */
  source: 'client' | 'derived'
}

/** 32 hex digits as an RFC 9562 version 8 (custom) UUID. */
function asUuid(hex: string): string {
  const h = hex.slice(0, 32).split('')
  h[12] = '8'
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)
  const s = h.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** What of an item stays the same on every turn: its content, not its per-turn `id`. */
const stable = (item: UpstreamItem | undefined): unknown =>
  item === undefined
    ? null
    : item.type === 'message'
      ? [item.role, item.content]
      : { ...item, id: undefined }

/**
 * The conversation's key and session id for an upstream request. Never fails.
 * @see docs/gateway.md#one-conversation-one-key
 */
export function conversationKey(upstream: UpstreamRequest): ConversationKey {
  const own = upstream.body.prompt_cache_key
  if (typeof own === 'string' && own) {
    const sessionId = UUID.test(own)
      ? own
      : asUuid(createHmac('sha256', DOMAIN).update(`session\0${own}`).digest('hex'))
    return { promptCacheKey: own, sessionId, source: 'client' }
  }
  const { body } = upstream
  const developer: unknown[] = []
  let first: UpstreamItem | undefined
  let firstOther: UpstreamItem | undefined
  for (const item of body.input) {
    if (item.type === 'message' && item.role === 'developer') developer.push(item.content)
    else if (item.type === 'message' && item.role === 'user') {
      first = item
      break
    } else firstOther ??= item
  }
  // `body.instructions` are the model's own (the slug stands for them): not hashed again.
  const basis = JSON.stringify([upstream.slug, developer, stable(first ?? firstOther)])
  const key = asUuid(createHmac('sha256', DOMAIN).update(basis).digest('hex'))
  return { promptCacheKey: key, sessionId: key, source: 'derived' }
}

/**
 * Sets the conversation's `prompt_cache_key` on the body (the client's own stays) and returns
 * the key with the session id to send with it. Never fails.
 */
export function applyConversationKey(upstream: UpstreamRequest): ConversationKey {
  const k = conversationKey(upstream)
  if (k.source === 'derived') upstream.body.prompt_cache_key = k.promptCacheKey
  return k
}
