/**
 * Everything the repository cites lives in the repository: every relative Markdown link in the
 * README, SKILL.md and docs/, and every `docs/<file>.md` or `docs/<file>.md#<anchor>` citation in
 * source comments, resolves to an existing file and, when it names one, a heading of that file
 * (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens). No citation may point
 * outside the repository (`../shared`, `/work/shared`), and no bare `§` reference is left without
 * its file (`[§4.3](#43-when-the-cli-refreshes)`, a link, is fine).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers/cli.js'

/** GitHub's heading anchors (with -1, -2 suffixes for repeats) and named `<a id>` anchors. */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  let fence = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence
    const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = m[1]!
      .replace(/<[^>]+>/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-')
    let slug = base
    for (let i = 1; out.has(slug); i++) slug = `${base}-${i}`
    out.add(slug)
  }
  // Named anchors (<a id="x"></a>) that citations may use besides the headings.
  for (const m of markdown.matchAll(/<a (?:id|name)="([\w-]+)"/g)) out.add(m[1]!)
  return out
}

function walk(dir: string, keep: (f: string) => boolean, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p, keep, out)
    else if (keep(p)) out.push(p)
  }
  return out
}

const markdown = [
  join(ROOT, 'README.md'),
  join(ROOT, 'SKILL.md'),
  ...walk(join(ROOT, 'docs'), (f) => f.endsWith('.md')),
]
const sources = [
  join(ROOT, 'exports.ts'),
  ...['src', 'test', 'scripts'].flatMap((d) =>
    walk(join(ROOT, d), (f) => /\.(ts|mjs|cjs|js)$/.test(f) && !f.includes('/test/clients/')),
  ),
]
const rel = (f: string) => relative(ROOT, f)

/** `null` when `target` (a path, maybe with #anchor) resolves from `base`, else why not. */
function check(base: string, target: string): string | null {
  const [path, anchor] = target.split('#') as [string, string | undefined]
  const file = path ? resolve(base, decodeURI(path)) : undefined
  if (file && !file.startsWith(ROOT)) return 'points outside the repository'
  if (file && !existsSync(file)) return 'no such file'
  if (anchor === undefined) return null
  const md = file ?? ''
  if (!md.endsWith('.md') || statSync(md).isDirectory()) return null
  return anchors(readFileSync(md, 'utf8')).has(anchor) ? null : `no heading #${anchor}`
}

describe('every citation resolves inside the repository', () => {
  it('relative links in README, SKILL.md and docs/', () => {
    const bad: string[] = []
    for (const f of markdown) {
      const text = readFileSync(f, 'utf8').replace(/```[\s\S]*?```/g, '')
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!
        if (/^[a-z]+:/i.test(target)) continue
        const why = target.startsWith('#')
          ? check(dirname(f), `${rel(f).split('/').pop()}${target}`)
          : check(dirname(f), target)
        if (why) bad.push(`${rel(f)}: (${target}) ${why}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('docs/*.md citations in source comments, and no citation of ../shared or a bare §', () => {
    const bad: string[] = []
    for (const f of [...sources, ...markdown]) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/\bdocs\/[\w.-]+\.md(#[\w-]+)?/g)) {
        const why = check(ROOT, m[0])
        if (why) bad.push(`${rel(f)}: ${m[0]} ${why}`)
      }
      if (/(\.\.\/shared|\/work\/shared)\//.test(text)) bad.push(`${rel(f)}: cites ../shared`)
      for (const m of text.matchAll(/(?:^|[^\w#[])§\s?\d/g))
        bad.push(`${rel(f)}: bare ${m[0].trim()}`)
      for (const m of text.matchAll(/(?<![\w/])(?:protocol|field-notes|codex-interop)\.md/g))
        if (f.endsWith('.ts') || f.endsWith('.mjs')) bad.push(`${rel(f)}: ${m[0]} without docs/`)
    }
    expect(bad).toEqual([])
  })
})
