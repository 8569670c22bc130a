/**
 * Issue 4 end to end: models(), the registry and its marker, through real CLI processes against
 * the emulator, counting the exact catalog requests each call makes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fallback from '../fixtures/models-fallback.json' with { type: 'json' }
import { world, type World } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

const MODELS = 'GET /backend-api/codex/models'

function registry(w: World) {
  const dir = join(w.home, 'registry')
  const text = readFileSync(join(dir, 'providers', 'openai-codex.json'), 'utf8')
  const marker = readFileSync(join(dir, 'models-changed'), 'utf8')
  record(text)
  record(marker)
  return {
    doc: JSON.parse(text),
    marker: JSON.parse(marker) as { version: number; updatedAt: string },
  }
}

/** Visible models of a raw catalog as `openai-codex/<slug>`, in priority order. */
const visible = (models: Record<string, unknown>[]) =>
  models
    .filter((m) => m.visibility === 'list')
    .sort((a, b) => Number(a.priority) - Number(b.priority))
    .map((m) => `openai-codex/${m.slug}`)

async function countDuring<T>(w: World, route: string, fn: () => Promise<T>) {
  const before = w.emu.count(route)
  const out = await fn()
  return [out, w.emu.count(route) - before] as const
}

describe('models and the registry', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  it('after sign-in the registry lists exactly the visible live models, and the marker exists', async () => {
    const [p, n] = await countDuring(w, MODELS, () => w.signIn())
    expect(n).toBe(1)
    const want = visible(w.emu.modes.models)
    expect(want.length).toBeGreaterThan(0)
    expect(want.length).toBeLessThan(w.emu.modes.models.length) // the emulator hides one
    expect(p.json).toMatchObject({
      status: 'connected',
      registry: { models: want },
      models_source: 'live',
    })
    const { doc, marker } = registry(w)
    expect(doc.models.map((m: { id: string }) => m.id)).toEqual(want)
    expect(doc.provider).toMatchObject({
      id: 'openai-codex',
      api: 'openai-responses',
      dialect: 'chatgpt-codex',
      baseUrl: `${w.emu.backendUrl}/codex`,
      headers: { originator: 'codex_cli_rs' },
      state: 'signed-in',
      credential: { type: 'command', output: 'json' },
    })
    expect(doc.provider.credential.argv.at(-1)).toBe('token')
    expect(doc.models[0]).toEqual({
      id: want[0],
      upstreamModel: want[0]!.slice('openai-codex/'.length),
      displayName: expect.any(String),
      contextWindow: expect.any(Number),
      maxOutputTokens: 128000,
      input: ['text', 'image'],
      reasoning: true,
    })
    expect(marker.version).toBe(1)

    const s = await w.cli(['status'])
    expect(s.json.registry).toMatchObject({ state: 'signed-in', models: want })
  })

  it('models within the TTL makes 0 requests; --force makes exactly 1, the request the CLI sends', async () => {
    const [m1, n1] = await countDuring(w, MODELS, () => w.cli(['models']))
    expect(n1).toBe(0)
    expect(m1.json).toMatchObject({
      ok: true,
      models_source: 'cache',
      stale: false,
      registry: { changed: false },
    })
    expect(m1.json.models.map((m: { id: string }) => m.id)).toEqual(visible(w.emu.modes.models))
    expect(m1.json.models[0]).toEqual({
      id: expect.stringMatching(/^openai-codex\//),
      slug: expect.any(String),
      display_name: expect.any(String),
      context_window: expect.any(Number),
      reasoning_levels: expect.arrayContaining(['low', 'medium', 'high']),
      default_reasoning: expect.any(String),
      input: ['text', 'image'],
      service_tiers: expect.any(Array),
    })

    const [m2, n2] = await countDuring(w, MODELS, () => w.cli(['models', '--force']))
    expect(n2).toBe(1)
    expect(m2.json).toMatchObject({
      ok: true,
      models_source: 'live',
      stale: false,
      registry: { changed: false, version: 1 },
    })
    const req = w.emu.requests.filter((r) => `${r.method} ${r.path}` === MODELS).at(-1)!
    expect(req.query).toEqual({ client_version: '0.171.0' })
    expect(req.headers).toMatchObject({
      authorization: expect.stringMatching(/^Bearer /),
      'chatgpt-account-id': w.emu.account.account_id,
      originator: 'codex_cli_rs',
    })

    // Past the 300 s TTL (clock shifted, no sleep) a plain call asks once again.
    const [m3, n3] = await countDuring(w, MODELS, () =>
      w.cli(['models'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: '301000' }),
    )
    expect(n3).toBe(1)
    expect(m3.json.models_source).toBe('live')
  })

  it('a changed catalog rewrites the registry and bumps the marker; the same one does not', async () => {
    const before = registry(w).marker.version
    w.emu.set({
      models: [
        ...w.emu.modes.models,
        {
          ...w.emu.modes.models[0],
          slug: 'gpt-new',
          display_name: 'GPT New',
          visibility: 'list',
          priority: 0,
        },
      ],
    })
    const m = await w.cli(['models', '--force'])
    expect(m.json).toMatchObject({ registry: { changed: true, version: before + 1 } })
    const { doc, marker } = registry(w)
    expect(doc.models[0].id).toBe('openai-codex/gpt-new')
    expect(marker.version).toBe(before + 1)
    const again = await w.cli(['models', '--force'])
    expect(again.json).toMatchObject({ registry: { changed: false, version: before + 1 } })
  })

  it('a backend 500 keeps the last-known-good list (stale), and the registry as it was', async () => {
    const good = registry(w)
    w.emu.set({ faults: { [MODELS]: { status: 500 } } })
    const [m, n] = await countDuring(w, MODELS, () => w.cli(['models', '--force']))
    w.emu.set({ faults: {} })
    expect(n).toBe(1)
    expect(m.json).toMatchObject({
      ok: true,
      models_source: 'cache',
      stale: true,
      stale_reason: { code: 'upstream_error' },
      registry: { changed: false },
    })
    expect(m.json.models.map((x: { id: string }) => x.id)).toEqual(
      good.doc.models.map((x: { id: string }) => x.id),
    )
    expect(registry(w).marker.version).toBe(good.marker.version)
  })

  it('logout empties the registry entry and bumps the marker', async () => {
    const before = registry(w).marker.version
    const out = await w.cli(['logout'])
    expect(out.json).toMatchObject({
      ok: true,
      status: 'disconnected',
      registry: { models: [], changed: true },
    })
    const { doc, marker } = registry(w)
    expect(doc.provider.state).toBe('signed-out')
    expect(doc.models).toEqual([])
    expect(marker.version).toBe(before + 1)
    const s = await w.cli(['status'])
    expect(s.json.registry).toMatchObject({ state: 'signed-out', models: [] })
    const m = await w.cli(['models'])
    expect(m.json).toMatchObject({ ok: false, code: 'not_signed_in' })
  })
})

describe('a dead catalog from the start', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  })
  afterAll(() => w.close())

  it('gives the bundled list (source fallback), never an empty one', async () => {
    w.emu.set({ faults: { [MODELS]: { status: 503 } } })
    const p = await w.signIn()
    const bundled = visible(fallback.models)
    expect(bundled.length).toBeGreaterThan(0)
    expect(p.json).toMatchObject({
      status: 'connected',
      models_source: 'fallback',
      registry: { models: bundled },
    })
    const m = await w.cli(['models'])
    expect(m.json).toMatchObject({
      ok: true,
      models_source: 'fallback',
      stale: true,
      count: bundled.length,
    })
    expect(m.json.fetched_at).toBe(fallback.as_of)
    expect(registry(w).doc.models.map((x: { id: string }) => x.id)).toEqual(bundled)

    // A catalog that answers but lists nothing visible is treated the same way.
    w.emu.set({ faults: {}, models: [{ ...fallback.models[0], visibility: 'hide' }] })
    const empty = await w.cli(['models', '--force'])
    expect(empty.json).toMatchObject({
      ok: true,
      models_source: 'fallback',
      stale_reason: { code: 'invalid_response' },
    })
    expect(empty.json.count).toBe(bundled.length)
  })
})

leakScan(import.meta.url)
