#!/usr/bin/env node
/**
 * The fast entry (`bin`): copied to `dist/cli.cjs` by scripts/build.mjs. Runs the bundle
 * `dist/app.cjs` through V8's code cache `dist/app.cache`, written once at build time by
 * scripts/code-cache.cjs: a cold process then skips parsing and compiling what the training
 * runs compiled (zod's setup most of all). Node 20 has no `module.enableCompileCache`.
 *
 * The cache is only an optimisation: V8 rejects one made by another Node version or with other
 * flags, and then the bundle simply compiles from source. Nothing is written at run time.
 */
'use strict'
const { readFileSync } = require('node:fs')
const { join } = require('node:path')
const vm = require('node:vm')

const APP = join(__dirname, 'app.cjs')
const CACHE = join(__dirname, 'app.cache')

/** Compiles the bundle as a CommonJS function, with `cachedData` when given. */
function compile(cachedData) {
  const source = readFileSync(APP, 'utf8')
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`
  return new vm.Script(wrapped, { filename: APP, cachedData })
}

/** Runs a compiled bundle as if `require`d: its entry runs the CLI on process.argv. */
function run(script) {
  const mod = { exports: {} }
  script.runInThisContext()(mod.exports, require, mod, APP, __dirname)
}

function readCache() {
  try {
    return readFileSync(CACHE)
  } catch {
    return undefined
  }
}

if (require.main === module) run(compile(readCache()))
else module.exports = { APP, CACHE, compile, run, readCache }
