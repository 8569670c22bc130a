/**
 * The one internal request every dialect becomes before it goes to `{backend}/codex/responses`:
 * a dialect translates its typed body into an {@link UpstreamDraft} (pure, no model needed), the
 * model is resolved once against the catalog ({@link resolveModel}), and {@link toUpstream} joins
 * the two into the body the backend accepts. Adding a dialect is adding a draft function.
 * @see docs/protocol.md#responses-endpoint
 */
import { SkillError } from '../result.js'
import { serviceTiers, type RawModel } from './models.js'
import type {
  InputItem,
  ResolvedModel,
  ResponsesBody,
  ResponsesInput,
  UpstreamDraft,
  UpstreamItem,
  UpstreamRequest,
} from './upstream-types.js'

export type * from './upstream-types.js'

/** Parameters the Codex backend refuses; dropped, and named in the caller's response. */
export const REFUSED_PARAMS = [
  'max_output_tokens',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'metadata',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'seed',
  'user',
  'truncation',
  'top_logprobs',
  'safety_identifier',
  'previous_response_id',
  'background',
] as const

/** Keys forwarded as they are; everything else is dropped and reported. */
const FORWARDED = new Set<string>([
  'model',
  'input',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'text',
  'prompt_cache_key',
  // Forwarded only when the model offers the tier (toUpstream checks it).
  'service_tier',
  // Codex sends it to the backend itself, and 0.171 to a custom provider (docs/codex-client.md).
  'client_metadata',
])
const LOCAL = new Set(['stream', 'store', 'instructions', 'include', 'stream_options'])

/** `openai-codex/<slug>` or `<slug>` -> `<slug>`. Never fails. */
export const bareSlug = (model: string) => model.replace(/^openai-codex\//, '')

/**
 * Looks a bare slug up in the catalog, once per request. Only a catalog the backend sent can
 * say a model does not exist; with the bundled fallback the backend itself decides.
 * @throws SkillError `model_not_available` (a slug a known catalog does not list).
 * @see docs/protocol.md#model-catalog
 */
export function resolveModel(
  slug: string,
  catalog: { models: RawModel[]; known: boolean },
): ResolvedModel {
  const entry = catalog.models.find((m) => m.slug === slug)
  if (!entry && catalog.known) {
    throw new SkillError(
      'model_not_available',
      `The model "${slug}" is not available to this ChatGPT account`,
      { extra: { model: slug } },
    )
  }
  const tiers = entry ? serviceTiers(entry) : []
  const tierNames: Record<string, string> = {}
  for (const t of tiers) if (t.name) tierNames[t.name.toLowerCase()] = t.id
  return {
    slug,
    baseInstructions:
      entry?.base_instructions ??
      catalog.models[0]?.base_instructions ??
      'You are a helpful assistant.',
    serviceTiers: tiers.map((t) => t.id),
    tierNames,
  }
}

/**
 * Fast mode: the tier a request asks for, as the model's catalog entry names it (its id, or
 * its name: `fast` for `priority`), or undefined when the entry does not offer it.
 */
function offeredTier(asked: unknown, model: ResolvedModel): string | undefined {
  if (typeof asked !== 'string') return undefined
  if (model.serviceTiers.includes(asked)) return asked
  return model.tierNames?.[asked.toLowerCase()]
}

const developer = (text: string): UpstreamItem => ({
  type: 'message',
  role: 'developer',
  content: [{ type: 'input_text', text }],
})

/**
 * Input items arrive typed or as `{role, content}` (the door refuses one with neither); system
 * turns become developer turns.
 */
function normalizeItem(raw: InputItem): UpstreamItem {
  const item: UpstreamItem = { ...raw, type: raw.type ?? 'message' }
  if (item.type === 'message') {
    if (item.role === 'system') item.role = 'developer' // "System messages are not allowed"
    if (typeof item.content === 'string') {
      const text = item.content
      item.content = [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text }]
    }
  }
  return item
}

/**
 * The draft of a `/v1/responses` body: forwarded fields in the caller's order, items typed,
 * every other field dropped and named (unless the gateway handles it itself). Never fails: the
 * body was checked at the door.
 * @see docs/protocol.md#responses-endpoint
 */
export function responsesDraft(req: ResponsesInput): UpstreamDraft {
  const fields: Record<string, unknown> = {}
  const dropped: string[] = []
  for (const [k, v] of Object.entries(req)) {
    if (FORWARDED.has(k)) fields[k] = v
    else if (!LOCAL.has(k)) dropped.push(k)
  }
  const items: UpstreamItem[] =
    typeof req.input === 'string'
      ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: req.input }] }]
      : Array.isArray(req.input)
        ? req.input.map(normalizeItem)
        : []
  return { fields, items, instructions: req.instructions, dropped: dropped.sort() }
}

/**
 * Builds the upstream body from a draft and its resolved model: `store:false`, `stream:true`,
 * the model's own `base_instructions` (the backend has refused home-made ones), the caller's
 * instructions and then its system and developer messages (as developer messages, in their
 * order) first in `input`, encrypted reasoning included; `service_tier` only when the model's
 * catalog entry offers it (else dropped and named). Never fails.
 * @see docs/protocol.md#responses-endpoint
 */
export function toUpstream(draft: UpstreamDraft, model: ResolvedModel): UpstreamRequest {
  // The caller's instructions, then its system/developer turns (in their order), then the rest:
  // the conversation's own rules come before the conversation.
  const first: UpstreamItem[] = []
  const rest: UpstreamItem[] = []
  if (typeof draft.instructions === 'string' && draft.instructions) {
    first.push(developer(draft.instructions))
  }
  for (const item of draft.items) {
    ;(item.type === 'message' && item.role === 'developer' ? first : rest).push(item)
  }
  let fields = draft.fields
  let dropped = draft.dropped
  if (fields.service_tier !== undefined) {
    fields = { ...fields }
    // Forwarded when the model offers the tier; else dropped and named, like any refusal.
    const tier = offeredTier(fields.service_tier, model)
    fields.service_tier = tier
    if (tier === undefined) dropped = [...dropped, 'service_tier'].sort()
  }
  const body: ResponsesBody = {
    ...fields,
    model: model.slug,
    input: first.length ? [...first, ...rest] : rest,
    instructions: model.baseInstructions,
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
  }
  if (body.service_tier === undefined) delete body.service_tier
  return { body, slug: model.slug, dropped }
}

/**
 * A `/v1/responses` body normalised against a catalog in one call (what `verify` uses): draft,
 * resolve, build.
 * @throws SkillError `model_not_available` (a slug a known catalog does not list).
 * @see docs/protocol.md#responses-endpoint
 */
export function normalizeRequest(
  req: ResponsesInput,
  catalog: { models: RawModel[]; known: boolean },
): UpstreamRequest {
  return toUpstream(responsesDraft(req), resolveModel(bareSlug(req.model), catalog))
}
