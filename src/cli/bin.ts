/**
 * Entry of the prebuilt bundle `dist/app.cjs` (run by `dist/cli.cjs` for every call but the hot
 * ones, see hot.ts). The same CLI as `npx tsx exports.ts`: everything the command table reaches
 * is in the bundle, and each command's code is evaluated only when that command runs.
 */
import { main } from './main.js'
import { finish, toFd1 } from './stdio.js'

// CommonJS output has no top-level await.
void main(process.argv.slice(2), toFd1).then(finish)
