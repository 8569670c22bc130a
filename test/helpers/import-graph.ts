/**
 * The project's import graph, read from the sources with TypeScript's own pre-parser (static
 * `import`/`export ... from`, type-only imports and dynamic `import()` alike), and the layer
 * order, read from the one place it is written: the ```layers block of docs/design.md.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** One layer: folder prefixes (`src/cli/`) and single files (`src/http.ts`). */
export type Layer = string[]

/** The layers, top first, from docs/design.md. */
export function readLayers(doc = join(ROOT, 'docs/design.md')): Layer[] {
  const text = readFileSync(doc, 'utf8')
  const m = /^```layers\n([\s\S]*?)^```/m.exec(text)
  if (!m) throw new Error(`${doc} has no \`\`\`layers block`)
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
}

/** Every TypeScript source of the layered tree: src/** and exports.ts, relative to the root. */
export function sourceFiles(): string[] {
  const out = ['exports.ts']
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`
      if (e.isDirectory()) walk(rel)
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel)
    }
  }
  walk('src')
  return out.sort()
}

/** The project files `file` imports (relative specifiers into the tree only). */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const info = ts.preProcessFile(text, true, true)
  const out = new Set<string>()
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue
    const target = relative(ROOT, resolve(ROOT, dirname(file), fileName)).replace(/\.js$/, '.ts')
    if (target.endsWith('.ts')) out.add(target)
  }
  return [...out]
}

/** file -> the project files it imports. */
export function importGraph(): Map<string, string[]> {
  return new Map(sourceFiles().map((f) => [f, importsOf(f)]))
}

/** The index of the layer `file` belongs to (0 = top), or -1. */
export function layerOf(layers: Layer[], file: string): number {
  return layers.findIndex((l) => l.some((e) => (e.endsWith('/') ? file.startsWith(e) : file === e)))
}

/** Every cycle's members, as strongly connected components of more than one file (or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return found
}
