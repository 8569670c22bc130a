/**
 * The layering rule of docs/design.md, enforced: imports run one way (a file imports only its
 * own layer or a lower one), every source belongs to a layer, and no files import each other in
 * a circle (not even within one folder). The order is read from docs/design.md's ```layers block.
 */
import { describe, expect, it } from 'vitest'
import { cycles, importGraph, layerOf, readLayers } from './helpers/import-graph.js'

const layers = readLayers()
const graph = importGraph()

describe('import graph', () => {
  it('reads a real graph (the parser finds static and dynamic imports)', () => {
    expect(layers.length).toBeGreaterThan(5)
    expect(graph.size).toBeGreaterThan(50)
    // cli/commands.ts reaches the operations only through dynamic import().
    expect(graph.get('src/cli/commands.ts')).toContain('src/skill/start.ts')
  })

  it('puts every source file in a layer', () => {
    const orphans = [...graph.keys()].filter((f) => layerOf(layers, f) < 0)
    expect(orphans).toEqual([])
  })

  it('has no upward import', () => {
    const upward: string[] = []
    for (const [from, tos] of graph) {
      for (const to of tos) {
        if (!graph.has(to)) continue
        if (layerOf(layers, to) < layerOf(layers, from)) upward.push(`${from} -> ${to}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('has no cycle', () => {
    expect(cycles(graph)).toEqual([])
  })

  it('detects what it must (a planted cycle and an upward edge)', () => {
    const planted = new Map([
      ['src/store/a.ts', ['src/store/b.ts']],
      ['src/store/b.ts', ['src/store/a.ts']],
    ])
    expect(cycles(planted)).toEqual([['src/store/a.ts', 'src/store/b.ts']])
    expect(layerOf(layers, 'src/cli/main.ts')).toBeLessThan(layerOf(layers, 'src/store/lock.ts'))
  })
})
