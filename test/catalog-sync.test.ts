/**
 * The bundled fallback catalog must be what `npm run catalog:sync` writes from the pinned Codex
 * CLI's own bundled catalog (`codex debug models --bundled`): a pin bump without a sync, or a
 * hand edit of fixtures/models-fallback.json, fails here.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  bundledCatalog,
  codexVersion,
  FALLBACK_PATH,
  fallbackModels,
  PLACEHOLDER_INSTRUCTIONS,
} from '../scripts/catalog-sync.js'
import { fallbackCatalog } from '../src/backend/models.js'
import { codexBinary, codexHasBinaryForPlatform } from './helpers/clients.js'

describe.skipIf(!codexHasBinaryForPlatform)('the fallback catalog and the pinned codex', () => {
  const file = JSON.parse(readFileSync(FALLBACK_PATH, 'utf8'))

  it('holds exactly the visible models of the binary’s bundled catalog (run npm run catalog:sync)', async () => {
    const bin = await codexBinary()
    const version = codexVersion(bin)
    const bundled = bundledCatalog(bin)
    expect(file.source).toContain(`Codex CLI ${version} `)
    expect(file.models).toEqual(fallbackModels(bundled))
    // The bundle's hidden models stay out; each visible one is in.
    const visible = bundled.models.filter((m) => m.visibility === 'list').map((m) => m.slug)
    expect(file.models.map((m: { slug: string }) => m.slug)).toEqual(visible)
  })

  it('0.171: gpt-6.2-sol (500k context) and gpt-6.2-astra, every model with the priority tier', async () => {
    const fb = await fallbackCatalog()
    const sol = fb.models.find((m) => m.slug === 'gpt-6.2-sol')
    expect(sol?.context_window).toBe(500_000)
    expect(fb.models.some((m) => m.slug === 'gpt-6.2-astra')).toBe(true)
    for (const m of fb.models) {
      expect(
        (m.service_tiers as { id: string }[]).map((t) => t.id),
        m.slug,
      ).toContain('priority')
      expect(m.base_instructions).toBe(PLACEHOLDER_INSTRUCTIONS)
    }
  })
})
