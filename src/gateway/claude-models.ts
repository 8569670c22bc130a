/**
 * Which Codex model answers a Claude model id: a Codex slug (bare or `openai-codex/`) is used as
 * is; anything else goes through the configured table (`CHATGPT_CODEX_ANTHROPIC_MODELS`, first
 * match wins), whose `<default>` is the catalog's first listed model and `<small>` its first
 * fast one. An id no rule matches goes on as it is, and the catalog judges it.
 * @see docs/anthropic.md#models
 */
import type { RawModel } from '../backend/models.js'

/** `*` matches any run of characters; everything else literally, case-insensitive. */
function matches(pattern: string, id: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
  return new RegExp(`^${re}$`, 'i').test(id)
}

/** The catalog's default model: the first listed one by priority (the catalog is sorted). */
export function defaultModel(models: RawModel[]): string | undefined {
  return (models.find((m) => m.visibility === 'list') ?? models[0])?.slug
}

/** The catalog's fast model: the first listed one that calls itself fast (else the default). */
export function smallModel(models: RawModel[]): string | undefined {
  const listed = models.filter((m) => m.visibility === 'list')
  const fast = listed.find((m) => /\b(fast|small|mini)\b/i.test(`${m.description ?? ''} ${m.slug}`))
  return fast?.slug ?? defaultModel(models)
}

/**
 * The bare Codex slug for a Messages request's `model`. Never fails: with no rule and no
 * catalog entry, the id itself (the catalog then answers `model_not_available`).
 */
export function codexSlugFor(
  model: string,
  table: { pattern: string; target: string }[],
  models: RawModel[],
): string {
  const bare = model.replace(/^openai-codex\//, '')
  if (bare !== model || models.some((m) => m.slug === bare)) return bare
  const rule = table.find((r) => matches(r.pattern, model))
  if (!rule) return model
  if (rule.target === '<default>') return defaultModel(models) ?? model
  if (rule.target === '<small>') return smallModel(models) ?? model
  return rule.target.replace(/^openai-codex\//, '')
}
