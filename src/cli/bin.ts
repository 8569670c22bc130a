/**
 * Entry of the prebuilt bundle `dist/app.cjs` (run by `dist/cli.cjs` for every call but the hot
 * ones, see hot.ts). The same CLI as `npx tsx exports.ts`: everything the command table reaches
 * is in the bundle, and each command's code is evaluated only when that command runs.
 */
import { oneShotProcess } from '../http.js'
import { main } from './main.js'
import { finish, toFd1 } from './stdio.js'

const argv = process.argv.slice(2)
// The gateway runs for hours; every other call is over in a moment (see oneShotProcess).
if (argv[0] !== 'serve') oneShotProcess()
// CommonJS output has no top-level await.
void main(argv, toFd1).then(finish)
