/**
 * Build step: one training run of a bundle that then saves V8's code cache, so the cache holds
 * the functions a real run compiles (not only the top level). scripts/build.mjs runs it once per
 * sample command, each run starting from the previous cache of the same bundle, so they
 * accumulate. The loader's `pick` chooses the bundle, as it will at run time.
 *
 * Usage: node scripts/code-cache.cjs <dist/cli.cjs> <function> [flags...]. Run it with a
 * throwaway CHATGPT_CODEX_HOME and HOME: it runs the real command.
 */
'use strict'
const { renameSync, writeFileSync } = require('node:fs')

const [loaderPath, ...args] = process.argv.slice(2)
const loader = require(loaderPath)
const name = loader.pick(args)
const script = loader.compile(name, loader.readCache(name))
process.argv = [process.argv[0], loader.paths(name).code, ...args]
process.on('exit', () => {
  const { cache } = loader.paths(name)
  const tmp = `${cache}.${process.pid}.tmp`
  writeFileSync(tmp, script.createCachedData())
  renameSync(tmp, cache)
})
loader.run(name, script)
