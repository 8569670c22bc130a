/**
 * Build step: one training run of the bundle that then saves V8's code cache, so the cache
 * holds the functions a real run compiles (not only the top level). scripts/build.mjs runs it
 * once per sample command, each run starting from the previous cache, so they accumulate.
 *
 * Usage: node scripts/code-cache.cjs <dist/cli.cjs> <function> [flags...]. Run it with a
 * throwaway CHATGPT_CODEX_HOME and HOME: it runs the real command.
 */
'use strict'
const { renameSync, writeFileSync } = require('node:fs')

const [loaderPath, ...args] = process.argv.slice(2)
const loader = require(loaderPath)
const script = loader.compile(loader.readCache())
process.argv = [process.argv[0], loader.APP, ...args]
process.on('exit', () => {
  const tmp = `${loader.CACHE}.${process.pid}.tmp`
  writeFileSync(tmp, script.createCachedData())
  renameSync(tmp, loader.CACHE)
})
loader.run(script)
