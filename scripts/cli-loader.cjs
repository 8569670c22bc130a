#!/usr/bin/env node
/**
 * The fast entry (`bin`): copied to `dist/cli.cjs` by scripts/build.mjs. Runs one of two
 * bundles through V8's code cache, written once at build time by scripts/code-cache.cjs: a cold
 * process then skips parsing and compiling what the training runs compiled.
 * - `dist/hot.cjs` (src/cli/hot.ts): `status` and `token`, the calls an agent makes at every
 *   step and a host before every model request; about half the code of the full bundle.
 * - `dist/app.cjs` (src/cli/bin.ts): every command, --help, and anything else.
 * Node 20 has no `module.enableCompileCache`. The cache is only an optimisation: V8 rejects one
 * made by another Node version or with other flags, and then the bundle simply compiles from
 * source. Nothing is written at run time.
 */
'use strict'
const { readFileSync } = require('node:fs')
const { join } = require('node:path')
const vm = require('node:vm')

const HOT = ['status', 'token']

/** Which bundle runs `args`: the hot one for status/token (never for --help, whose text lists every command). */
const pick = (args) => (HOT.includes(args[0]) && !args.includes('--help') ? 'hot' : 'app')
const paths = (name) => ({
  code: join(__dirname, `${name}.cjs`),
  cache: join(__dirname, `${name}.cache`),
})

/** Compiles a bundle as a CommonJS function, with `cachedData` when given. */
function compile(name, cachedData) {
  const file = paths(name).code
  const source = readFileSync(file, 'utf8')
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`
  return new vm.Script(wrapped, { filename: file, cachedData })
}

/** Runs a compiled bundle as if `require`d: its entry runs the CLI on process.argv. */
function run(name, script) {
  const mod = { exports: {} }
  script.runInThisContext()(mod.exports, require, mod, paths(name).code, __dirname)
}

function readCache(name) {
  try {
    return readFileSync(paths(name).cache)
  } catch {
    return undefined
  }
}

if (require.main === module) {
  const name = pick(process.argv.slice(2))
  run(name, compile(name, readCache(name)))
} else module.exports = { pick, paths, compile, run, readCache }
