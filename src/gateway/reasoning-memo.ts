/**
 * Reasoning the client cannot carry: when an Anthropic client asked for no thinking blocks, the
 * model's encrypted reasoning would be lost between the turns of a tool loop. The gateway keeps
 * it here, keyed by the tool call ids of the same answer, so turn 2 sends the model its own
 * reasoning back. Bounded (oldest first out) and in memory only: a restart loses it, and the
 * model then reasons afresh, which is what happened before.
 * @see docs/anthropic.md#reasoning-across-a-tool-loop
 */

/** A reasoning item as the backend takes it back in `input`. */
export interface ReasoningItem {
  type: 'reasoning'
  summary: { type: 'summary_text'; text: string }[]
  encrypted_content: string
}

/** The thinking block's `signature` prefix that marks the gateway's own carried reasoning. */
export const SIGNATURE_PREFIX = 'codex-reasoning.'

/** The signature that carries one reasoning item's encrypted content. Never fails. */
export const toSignature = (encrypted: string) => `${SIGNATURE_PREFIX}${encrypted}`

/** The encrypted content in a signature the gateway made; undefined for anybody else's. */
export function fromSignature(signature: unknown): string | undefined {
  if (typeof signature !== 'string' || !signature.startsWith(SIGNATURE_PREFIX)) return undefined
  return signature.slice(SIGNATURE_PREFIX.length) || undefined
}

/** A bounded map: tool call id -> the reasoning items that came before that call. */
export class ReasoningMemo {
  private readonly map = new Map<string, ReasoningItem[]>()
  constructor(private readonly max = 512) {}

  /** Remembers `items` for each call id; the oldest entries leave past the bound. Never fails. */
  remember(callIds: string[], items: ReasoningItem[]): void {
    if (!items.length) return
    for (const id of callIds) {
      this.map.delete(id)
      this.map.set(id, items)
    }
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
  }

  /** The reasoning items remembered for a call id (none when unknown or evicted). */
  recall(callId: string): ReasoningItem[] {
    return this.map.get(callId) ?? []
  }

  get size(): number {
    return this.map.size
  }
}
