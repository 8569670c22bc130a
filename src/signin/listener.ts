/**
 * The detached callback listener of a browser sign-in (`<entry> __listen <pending_id>
 * <expires_at>`, spawned by src/signin/browser.ts). It binds 127.0.0.1 on the first free
 * configured port (1455, then 1457), prints one line `{"port":N}` (or `{"port":null}`) for its
 * parent, then serves:
 *   GET /auth/callback  state check, code exchange, tokens into the locked store, outcome into
 *                       the pending login, a static page, exit;
 *   GET /__whoami       {pid, pending_id}, so stopListener signals only its own listener;
 *   GET /cancel         exit (what a newer Codex CLI sends to free port 1455).
 * It exits by itself at the deadline. It never prints anything else: no secret can leak here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createContext, type Ctx } from '../context.js'
import { toFailure } from '../result.js'
import { pendingStore } from '../store/pending.js'
import { judge, paramsFrom, redeem } from './callback.js'
import { failurePage, PAGE_HEADERS, successPage } from './callback-page.js'
import { finishSignIn } from './finish.js'
import { parseTarget, refuseConnect } from '../gateway/guard.js'

interface Answer {
  status: number
  body: string
  /** The sign-in is over (either way): close and exit once the page is sent. */
  done: boolean
}

const ANSWER_GONE: Answer = {
  status: 410,
  body: failurePage('This sign-in is no longer in progress.'),
  done: true,
}

/** Handles one callback under the pending lock: at most one exchange per login. */
async function handleCallback(
  ctx: Ctx,
  pendingId: string,
  search: URLSearchParams,
): Promise<Answer> {
  const q = paramsFrom(search)
  const pending = pendingStore(ctx)
  return pending.locked(async (): Promise<Answer> => {
    const p = await pending.read()
    if (!p || p.method !== 'browser' || p.pending_id !== pendingId) return ANSWER_GONE
    if (p.outcome) {
      const ok = p.outcome.status === 'connected'
      return {
        status: ok ? 200 : 400,
        body: ok ? successPage() : failurePage('This sign-in already failed.'),
        done: true,
      }
    }
    const v = judge(p, q)
    // Like the Codex CLI: a wrong state is refused and the listener keeps waiting for the real one.
    if (v.kind === 'mismatch') {
      return {
        status: 400,
        body: failurePage('State mismatch: this page does not belong to the current sign-in.'),
        done: false,
      }
    }
    if (v.kind === 'failed') {
      await pending.write({
        ...p,
        outcome: { status: 'failed', code: v.error.code, error: v.error.message },
      })
      return { status: 400, body: failurePage(v.error.message, v.detail), done: true }
    }
    try {
      await finishSignIn(ctx, () => redeem(ctx, p, v.code), pending, p)
      return { status: 200, body: successPage(), done: true }
    } catch (err) {
      const f = toFailure(err)
      await pending.write({ ...p, outcome: { status: 'failed', code: f.code, error: f.error } })
      return {
        status: 502,
        body: failurePage('The sign-in could not be completed (the code exchange failed).'),
        done: true,
      }
    }
  })
}

function listenOn(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(false)
    server.once('error', onError)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError)
      resolve(true)
    })
  })
}

/**
 * Entry of the hidden `__listen` command. Resolves with the exit status (2: bad arguments,
 * 1: no port could be bound, 0: done). Never throws; failures go into the pending login.
 * @see docs/protocol.md#3-browser-pkce-flow
 */
export async function runListener(args: string[]): Promise<number> {
  const [pendingId, deadline] = args
  if (!pendingId || !/^pl_[A-Za-z0-9_-]{1,64}$/.test(pendingId) || !/^\d+$/.test(deadline ?? ''))
    return 2
  const ctx = createContext()
  let port = 0
  let busy = false
  const finish = () => {
    server.close()
    server.closeAllConnections()
    // The pending lock and the store are released by now; nothing is left to flush.
    setTimeout(() => process.exit(0), 50).unref()
  }

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    // Host first (no parsing needed), then the target, parsed without a throw: `//`, `///` and
    // `//:99999/` are no relative URL, and a throw here once ended the listener (issue 16).
    const host = (req.headers.host ?? '').toLowerCase()
    // Only a browser that addressed us by a loopback name (no DNS-rebinding page).
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      res
        .writeHead(421, { 'content-type': 'text/plain', connection: 'close' })
        .end('Misdirected request')
      return
    }
    if (req.method !== 'GET') return void res.writeHead(405, { connection: 'close' }).end()
    const url = parseTarget(req.url)
    if (!url) {
      return void res
        .writeHead(400, { 'content-type': 'text/plain', connection: 'close' })
        .end('invalid_request_target: the request target is not a path')
    }
    if (url.pathname === '/__whoami') {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' })
      return void res.end(JSON.stringify({ pid: process.pid, pending_id: pendingId }))
    }
    if (url.pathname === '/cancel') {
      res
        .writeHead(200, { 'content-type': 'text/plain', connection: 'close' })
        .end('Login cancelled')
      return finish()
    }
    if (url.pathname !== '/auth/callback') {
      return void res
        .writeHead(404, { 'content-type': 'text/plain', connection: 'close' })
        .end('Not Found')
    }
    if (busy) {
      return void res
        .writeHead(503, { ...PAGE_HEADERS, 'retry-after': '2' })
        .end(failurePage('Busy; reload in a moment.'))
    }
    busy = true
    handleCallback(ctx, pendingId, url.searchParams)
      .catch((err): Answer => ({
        status: 500,
        body: failurePage(`Sign-in error: ${toFailure(err).code}`),
        done: false,
      }))
      .then((a) => {
        busy = false
        res.writeHead(a.status, PAGE_HEADERS)
        res.end(a.body, () => a.done && finish())
      })
  }
  // Whatever a request does, the listener lives on: a handler's throw is a coded 500 (never the
  // error's text: it could carry a query), and the sign-in keeps waiting for the real callback.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      serve(req, res)
    } catch (err) {
      if (res.headersSent) return void res.destroy()
      res
        .writeHead(500, { 'content-type': 'text/plain', connection: 'close' })
        .end(`internal_error: ${toFailure(err).code}`)
    }
  })
  server.keepAliveTimeout = 1_000
  refuseConnect(server)

  for (const p of ctx.config.callbackPorts) {
    if (await listenOn(server, p)) {
      port = p
      break
    }
  }
  process.stdout.write(`${JSON.stringify({ port: port || null })}\n`)
  if (!port) return 1

  process.on('SIGTERM', finish)
  process.on('SIGINT', finish)
  const left = Math.max(0, Number(deadline) - ctx.now())
  setTimeout(finish, left)
  await new Promise<void>((resolve) => server.on('close', () => resolve()))
  return 0
}
