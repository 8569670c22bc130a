/**
 * Entry of the prebuilt bundle `dist/hot.cjs`: `status` and `token` alone. An agent runs status
 * at every step and a host may run token before every model request, so these two get a bundle
 * without the other commands (about half the code to read and deserialize: see
 * docs/performance.md). `dist/cli.cjs` sends a call here only when its first word is one of them and
 * it does not ask for --help; parsing, errors and output are the full CLI's (run.ts).
 */
import { oneShotProcess } from '../http.js'
import { HOT_COMMANDS } from './command.js'
import { catchCrashes, runCli } from './run.js'
import { finish, toFd1 } from './stdio.js'

// Never reached (the loader sends --help to the full bundle); a pointer rather than a partial list.
const usage = () => 'Usage: chatgpt-codex-onboarding --help\n'

oneShotProcess()
catchCrashes(toFd1)
void runCli(process.argv.slice(2), toFd1, HOT_COMMANDS, usage).then(finish)
