/**
 * The floors for `scripts/bench-gateway.ts`: a bare pipe proxy that does nothing but forward
 * (no auth, no parsing, the request body streamed upstream as it arrives, the answer's chunks
 * copied as they arrive). What it adds over a direct request is the price of one more process
 * hop on this machine; what the gateway adds beyond it is the gateway's own work.
 *
 * `node scripts/bench-gateway-floor.mjs <upstream url> node|undici`:
 * - `node`: node:http with a keep-alive `http.Agent`, `req.pipe(upstream)`, `upstream.pipe(res)`
 *   (the "bare Node pipe proxy with a keep-alive upstream agent");
 * - `undici`: the gateway's own HTTP client (src/http.ts: one undici Agent, `agent.request`),
 *   so the gap between the two floors is the client library's price, not the gateway's.
 * The request's `x-upstream-headers` header (JSON) names the headers to send upstream. Prints
 * `{"port"}` on stdout.
 */
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http'
import { Agent } from 'undici'

const [upstream, client = 'node'] = process.argv.slice(2)
if (!upstream || !['node', 'undici'].includes(client)) {
  throw new Error('usage: bench-gateway-floor.mjs <upstream url> node|undici')
}
const up = new URL(upstream)

const upstreamHeaders = (req) => JSON.parse(String(req.headers['x-upstream-headers'] ?? '{}'))

function viaNode() {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 64 })
  return (req, res) => {
    const headers = upstreamHeaders(req)
    if (req.headers['content-length']) headers['content-length'] = req.headers['content-length']
    const out = httpRequest(
      { host: up.hostname, port: up.port, path: up.pathname, method: 'POST', headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'text/event-stream' })
        upRes.pipe(res)
      },
    )
    out.on('error', () => res.destroy())
    req.pipe(out)
  }
}

function viaUndici() {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 })
  return async (req, res) => {
    try {
      const upRes = await agent.request({
        origin: up.origin,
        path: up.pathname,
        method: 'POST',
        headers: { ...upstreamHeaders(req), 'content-length': req.headers['content-length'] },
        body: req, // streamed, not buffered
      })
      res.writeHead(upRes.statusCode, { 'content-type': 'text/event-stream' })
      for await (const c of upRes.body) res.write(c)
      res.end()
    } catch {
      res.destroy()
    }
  }
}

const server = createServer(client === 'node' ? viaNode() : viaUndici())
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`)
})
process.on('SIGTERM', () => process.exit(0))
