// The transcript and one answer's life: a row that shows the model is working from send to the
// first token, a collapsed "Thinking" section when the backend streams a reasoning summary, the
// answer rendered as Markdown as it streams, and Stop, which aborts the request (the gateway then
// aborts its own request upstream).
import { renderMarkdown } from './markdown.js'
import { readSse } from './sse.js'

const transcript = document.getElementById('transcript')
const live = document.getElementById('live')

/** Says `text` to screen readers (the transcript itself is not a live region: too chatty). */
export const announce = (text) => {
  live.textContent = text
}

/** A row of the transcript: who, then what (plain text: never HTML). */
export function say(who, text, kind) {
  const li = document.createElement('li')
  li.className = `turn ${kind ?? ''}`.trim()
  const name = document.createElement('p')
  name.className = 'who'
  name.textContent = who
  const body = document.createElement('div')
  body.className = 'body'
  body.textContent = text
  li.append(name, body)
  transcript.append(li)
  li.scrollIntoView({ block: 'nearest' })
  return li
}

/** An answer row: working indicator, optional thinking, the Markdown body. */
function answerRow(model) {
  const li = say(model, '', 'answer')
  const body = li.querySelector('.body')
  body.classList.add('md')
  li.setAttribute('aria-busy', 'true')
  const working = document.createElement('p')
  working.className = 'working'
  working.textContent = 'Working'
  li.insertBefore(working, body)
  let thinking
  let thought = ''
  let text = ''
  let queued = false
  const paint = () => {
    queued = false
    // Follow the answer down as it grows, unless the reader has scrolled up to read.
    const root = document.documentElement
    const follow = root.scrollTop + root.clientHeight >= root.scrollHeight - 48
    body.replaceChildren(renderMarkdown(text))
    if (follow) li.scrollIntoView({ block: 'end' })
  }
  return {
    li,
    get text() {
      return text
    },
    think(delta) {
      if (!thinking) {
        const d = document.createElement('details')
        d.className = 'thinking'
        const s = document.createElement('summary')
        s.textContent = 'Thinking'
        thinking = document.createElement('p')
        d.append(s, thinking)
        li.insertBefore(d, body)
      }
      thought += delta
      thinking.textContent = thought
    },
    add(delta) {
      if (!delta) return
      working.remove()
      text += delta
      // One render per frame, however many deltas arrive in it.
      if (!queued) ((queued = true), requestAnimationFrame(paint))
    },
    end(note, kind) {
      working.remove()
      li.removeAttribute('aria-busy')
      paint()
      if (kind) li.classList.add(kind)
      if (note) {
        const p = document.createElement('p')
        p.className = 'note'
        p.textContent = note
        li.append(p)
      }
    },
  }
}

/**
 * Sends the conversation and streams the answer into a new row. `hooks.headers(h)` gets the
 * answer's response headers (usage), `hooks.failed(status, body)` a refusal; returns the answer
 * text (partial when stopped), or null when it failed.
 */
export async function streamAnswer(model, messages, signal, hooks) {
  const a = answerRow(model)
  announce('The model is working.')
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, stream: true }),
      signal,
    })
    hooks.headers(res.headers)
    if (!res.ok) {
      const body = await res.json().catch(() => null)
      throw new Error(hooks.failed(res.status, body))
    }
    for await (const ev of readSse(res)) {
      if (ev.data === '[DONE]') break
      const chunk = JSON.parse(ev.data)
      if (chunk.error) throw new Error(hooks.failed(0, chunk))
      const delta = chunk.choices?.[0]?.delta ?? {}
      if (delta.reasoning_content) a.think(delta.reasoning_content)
      a.add(delta.content)
    }
    a.end()
    announce('The answer is complete.')
    return a.text
  } catch (err) {
    if (signal.aborted) {
      a.end('Stopped.', 'stopped')
      announce('Stopped.')
      return a.text
    }
    a.end(err instanceof Error && err.message ? err.message : String(err), 'error')
    announce('The answer failed.')
    return null
  }
}
