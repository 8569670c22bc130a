/**
 * Builds the fast entry point `dist/cli.cjs` (package.json `bin`) with esbuild.
 *
 * Why: an agent runs this tool as a fresh process for every step and a host may run `token`
 * before every model request, so cold start is the product's latency. `npx tsx` costs hundreds
 * of ms before our code runs; a plain Node process still pays per file it resolves and per byte
 * it compiles. So:
 * - two CommonJS bundles: `dist/hot.cjs` of src/cli/hot.ts (status and token alone) and
 *   `dist/app.cjs` of src/cli/bin.ts (the command table reaches every command). CommonJS,
 *   because it skips the ESM loader's start-up and, unlike ESM on Node 20, can run from a V8
 *   code cache. Each command stays a lazily evaluated part of its bundle, and undici, the lock
 *   library and write-file-atomic are evaluated only when a request or a write needs them;
 * - `dist/cli.cjs` (scripts/cli-loader.cjs) picks the bundle and runs it through its code cache
 *   (`dist/hot.cache`, `dist/app.cache`), which scripts/code-cache.cjs writes here from training
 *   runs in throwaway state directories: signed out, and signed in (fixtures/state/signed-in).
 *
 * Runs from `prepare` (npm install / npm ci, also `npm ci --omit=dev`) and by hand: `npm run
 * build`. Plain JS so it needs no TypeScript loader at install time.
 *
 * esbuild is a dependency, not a devDependency: a skill directory is a clone installed with
 * `npm ci --omit=dev`, and this build must run from what that installs. Its postinstall is
 * denied in package.json `allowScripts` (npm 11 would otherwise hold it for approval): the
 * binary comes from its platform package and works without it. The release tarball carries the
 * built dist/ and no dependencies at all (scripts/pack-manifest.mjs). See docs/install.md.
 */
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const { build } = await import('esbuild').catch((err) => {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err
  process.stderr.write(
    'build: esbuild is not installed; run `npm ci --omit=dev` (or `npm install`) in the project first\n',
  )
  process.exit(1)
})

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const finalDir = resolve(root, 'dist')
/**
 * Built beside dist/ and swapped in at the end: tests, the bench and hosts' credential helpers
 * may be running dist/cli.cjs while another process rebuilds (the test setup does), and a
 * dist/ emptied for seconds made them fail. A sibling keeps every relative path the same.
 */
const outdir = resolve(root, `dist.build-${process.pid}`)
// A failed build leaves nothing behind (after the swap this path no longer exists).
process.on('exit', () => rmSync(outdir, { recursive: true, force: true }))

/**
 * Our sources, adjusted for the bundle: `import.meta.url` (which
 * CommonJS output lacks): files that find siblings through it (the project root, the UI assets)
 * get their own source file's URL, relative to `dist/`, so a moved tree still works.
 */
const projectSources = {
  name: 'project-sources',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined
      let text = await readFile(args.path, 'utf8')
      const rel = relative(outdir, args.path).split('\\').join('/')
      const url = `new URL(${JSON.stringify(rel)}, require('node:url').pathToFileURL(__filename)).href`
      text = text.replaceAll('import.meta.url', url)
      return { contents: text, loader: 'ts' }
    })
  },
}

/**
 * Every npm package but zod goes to its own file `dist/vendor/<name>.cjs`, required on first
 * use: undici alone is ~520 KB, and a cold `status` should not even read it from disk.
 */
const vendored = new Set()
const vendorSplit = {
  name: 'vendor-split',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || builtinModules.includes(args.path)) return undefined
      if (args.path === 'zod' || args.path.startsWith('zod/')) return undefined
      if (!args.importer.startsWith(root) || args.importer.includes('/node_modules/'))
        return undefined
      vendored.add(args.path)
      return { path: `./vendor/${vendorFile(args.path)}`, external: true }
    })
  },
}
const vendorFile = (pkg) => `${pkg.replace(/^@/, '').replace(/\//g, '__')}.cjs`
/**
 * Vendor files that are not simply the whole package, each measured as a cold `require`:
 * - undici: src/http.ts uses only `Agent`, `EnvHttpProxyAgent` and their `request` and `dispatch`
 *   methods. The package's index also loads fetch, WebSocket, the cache, mocks and every
 *   interceptor: ~115 ms of every call that sends a request; this entry (undici's own modules,
 *   wired as its index wires them) ~35 ms. The proxy agent is a getter: its modules are
 *   evaluated only when a proxy is set (their ~17 KB still cost ~0.5 ms of compiling in a call
 *   that sends).
 * - proper-lockfile: built on node:fs instead of graceful-fs (13 -> 7.5 ms). graceful-fs queues
 *   and retries opens on EMFILE and patches the process's fs.close; the lock makes a handful of
 *   mkdir/stat/utimes/rmdir calls on one directory and needs neither.
 */
const VENDOR = {
  undici: {
    entry: [
      "const Dispatcher = require('undici/lib/dispatcher/dispatcher')",
      "Object.assign(Dispatcher.prototype, require('undici/lib/api'))",
      "module.exports = { Agent: require('undici/lib/dispatcher/agent'),",
      "  get EnvHttpProxyAgent() { return require('undici/lib/dispatcher/env-http-proxy-agent') } }",
    ].join('\n'),
  },
  'proper-lockfile': { alias: { 'graceful-fs': 'node:fs' } },
}

rmSync(outdir, { recursive: true, force: true })
/** Every file each build read, to name the npm packages dist/ carries (and their licenses). */
const inputs = new Set()
const record = (result) => Object.keys(result.metafile.inputs).forEach((f) => inputs.add(f))
/** What the app bundles and the vendor files are built with alike. */
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
}
record(
  await build({
    ...common,
    entryPoints: { app: resolve(root, 'src/cli/bin.ts'), hot: resolve(root, 'src/cli/hot.ts') },
    outdir,
    outExtension: { '.js': '.cjs' },
    plugins: [projectSources, vendorSplit],
    // import() of a vendor file must become require(): the loader runs the bundle through
    // vm.Script, which has no dynamic-import hook on Node 20.
    supported: { 'dynamic-import': false },
  }),
)
for (const pkg of vendored) {
  record(
    await build({
      ...common,
      stdin: {
        contents: VENDOR[pkg]?.entry ?? `module.exports = require(${JSON.stringify(pkg)})`,
        resolveDir: root,
      },
      alias: VENDOR[pkg]?.alias,
      outfile: join(outdir, 'vendor', vendorFile(pkg)),
    }),
  )
}
for (const name of ['app', 'hot']) {
  if (/\bimport\(/.test(readFileSync(join(outdir, `${name}.cjs`), 'utf8'))) {
    throw new Error(
      `dist/${name}.cjs still has an import() call; the vm.Script loader cannot run it`,
    )
  }
}
// The page's Markdown renderer (src/gateway/ui-routes.ts serves it at /ui/vendor/): the release
// tarball installs no dependencies, so dist/ carries the browser build, with its license below.
const pageVendor = join(outdir, 'ui-vendor')
mkdirSync(pageVendor, { recursive: true })
const markdownIt = 'node_modules/markdown-it/dist/browser/markdown-it.esm.min.mjs'
copyFileSync(resolve(root, markdownIt), join(pageVendor, 'markdown-it.js'))
inputs.add(markdownIt)
writeThirdPartyLicenses()
copyFileSync(resolve(root, 'scripts/cli-loader.cjs'), join(outdir, 'cli.cjs'))
chmodSync(join(outdir, 'cli.cjs'), 0o755)

// Training runs for the code cache, in throwaway state dirs: signed out (status only reads; token
// and the usage errors fail fast), then signed in from fixtures/state/signed-in (fake tokens
// valid until 2100, so token never refreshes; status and token only read). Each run starts from
// the cache its bundle's previous run saved. No run makes a request.
const scratch = mkdtempSync(join(tmpdir(), 'cco-build-'))
try {
  const signedIn = join(scratch, 'signed-in')
  cpSync(resolve(root, 'fixtures/state/signed-in'), signedIn, { recursive: true })
  chmodTree(signedIn)
  const envs = {
    out: { HOME: join(scratch, 'home'), CHATGPT_CODEX_HOME: join(scratch, 'state') },
    in: { HOME: join(scratch, 'home'), CHATGPT_CODEX_HOME: signedIn },
  }
  const runs = [
    ['out', ['status']],
    ['out', ['token']],
    ['out', ['--help']],
    ['out', ['status', '--nope']],
    ['out', ['start', '--nope']],
    ['in', ['status']],
    ['in', ['token']],
    ['in', ['token', '--format', 'raw']],
    ['in', ['status']],
  ]
  for (const [state, args] of runs) {
    const r = spawnSync(
      process.execPath,
      [join(root, 'scripts/code-cache.cjs'), join(outdir, 'cli.cjs'), ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...envs[state] },
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    if (r.error || r.status === null || r.stderr) {
      throw new Error(`code-cache training run "${args.join(' ')}" failed: ${r.error ?? r.stderr}`)
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

// Swap: a running process resolves ./vendor/* by path, and the new files are the same packages.
const old = `${finalDir}.old-${process.pid}`
try {
  renameSync(finalDir, old)
} catch (err) {
  if (err.code !== 'ENOENT') throw err
}
renameSync(outdir, finalDir)
rmSync(old, { recursive: true, force: true })

const kib = (f) => Math.round(statSync(join(finalDir, f)).size / 1024)
process.stdout.write(
  `built dist/cli.cjs: dist/app.cjs ${kib('app.cjs')} KiB (cache ${kib('app.cache')} KiB), dist/hot.cjs ${kib('hot.cjs')} KiB (cache ${kib('hot.cache')} KiB)\n`,
)

/** State files are 0600 in 0700 directories (a copy from git would be reported as a fix). */
function chmodTree(dir) {
  chmodSync(dir, 0o700)
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) chmodTree(p)
    else chmodSync(p, 0o600)
  }
}

/**
 * dist/ bundles npm packages (the release tarball has no dependencies): their license texts go
 * with it, in dist/THIRD-PARTY-LICENSES.txt, one section per package the builds read.
 */
function writeThirdPartyLicenses() {
  // The package directory of each input: its last node_modules/<name>/ (nested ones count too).
  const pkgs = new Set()
  for (const f of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f)
    if (m) pkgs.add(m[1])
  }
  const sections = [...pkgs].sort().map((rel) => {
    const dir = join(root, rel)
    const { name, version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const file = readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f))
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${license}`
    return `${name}@${version} (${license})\n\n${text}\n`
  })
  writeFileSync(
    join(outdir, 'THIRD-PARTY-LICENSES.txt'),
    `dist/ bundles these npm packages:\n\n${sections.join(`\n${'-'.repeat(72)}\n\n`)}`,
  )
}
