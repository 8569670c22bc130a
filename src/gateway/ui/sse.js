// Server-sent events over fetch: EventSource cannot tell a 401 from a network error, and cannot
// be stopped mid-answer with an AbortController.

/** Yields {event, data} for each SSE frame of a fetch response body. */
export async function* readSse(res) {
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buf = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
      let end
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end)
        buf = buf.slice(end + 2)
        let event = 'message'
        const data = []
        for (const line of frame.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        if (data.length) yield { event, data: data.join('\n') }
      }
    }
  } finally {
    reader.releaseLock()
  }
}
