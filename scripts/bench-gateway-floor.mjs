/**
 * The floor for `scripts/bench-gateway.ts`: a bare Node pipe proxy with a keep-alive undici
 * agent (the same agent settings as src/http.ts) and nothing else: no auth, no parsing, chunks
 * copied as they arrive. What it adds over a direct request is the price of one more process
 * hop on this machine; what the gateway adds beyond it is the gateway's own work.
 *
 * `node scripts/bench-gateway-floor.mjs <upstream url>`; the request's `x-upstream-headers`
 * header (JSON) names the headers to send upstream. Prints `{"port"}` on stdout.
 */
import { createServer } from 'node:http'
import { Agent, request } from 'undici'

const upstream = process.argv[2]
if (!upstream) throw new Error('usage: bench-gateway-floor.mjs <upstream url>')
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 64 })

const server = createServer(async (req, res) => {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const headers = JSON.parse(String(req.headers['x-upstream-headers'] ?? '{}'))
  const up = await request(upstream, {
    method: 'POST',
    headers,
    body: Buffer.concat(chunks),
    dispatcher,
  })
  res.writeHead(up.statusCode, { 'content-type': 'text/event-stream' })
  for await (const c of up.body) res.write(c)
  res.end()
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`)
})
process.on('SIGTERM', () => process.exit(0))
