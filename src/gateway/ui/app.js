// The reference page for a host developer to copy: a model picker that follows the gateway's
// live feed (GET /v1/models/events) with no reload, and a chat that streams from
// /v1/chat/completions. Plain browser JavaScript, no framework, no build step.
//
// Rules it keeps: every request is same-origin (the session cookie goes with it, the CSP allows
// nothing else), and text from the network is only ever set as textContent, never as HTML.

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id))
const account = $('account')
const picker = /** @type {HTMLSelectElement} */ ($('model'))
const transcript = $('transcript')
const message = /** @type {HTMLTextAreaElement} */ ($('message'))

const PREFIX = 'openai-codex/'
const NEW_LINK = 'Ask your agent for a new page link, or run: npx tsx exports.ts serve --ui-url'
/** @type {{role: string, content: string}[]} */
const history = []
let ended = false

// ---- Server-sent events over fetch (EventSource can't tell a 401 from a network error) ----

/** Yields {event, data} for each SSE frame of a fetch response body. */
async function* readSse(res) {
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buf = ''
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
}

// ---- Transcript ----

function say(who, text, kind) {
  const li = document.createElement('li')
  li.dataset.who = who
  if (kind) li.className = kind
  li.textContent = text
  transcript.append(li)
  li.scrollIntoView({ block: 'end' })
  return li
}

/** "in 2 hours 5 minutes" for an ISO date, epoch seconds or epoch milliseconds. */
function resetsInWords(resetsAt) {
  const t =
    typeof resetsAt === 'number'
      ? resetsAt < 1e12
        ? resetsAt * 1000
        : resetsAt
      : Date.parse(resetsAt)
  if (!Number.isFinite(t)) return ''
  const min = Math.max(0, Math.round((t - Date.now()) / 60_000))
  const unit = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`
  const d = Math.floor(min / 1440)
  const h = Math.floor((min % 1440) / 60)
  const m = min % 60
  const words =
    min < 1
      ? 'less than a minute'
      : d
        ? [unit(d, 'day'), h && unit(h, 'hour')].filter(Boolean).join(' ')
        : [h && unit(h, 'hour'), m && unit(m, 'minute')].filter(Boolean).join(' ')
  return `in ${words} (${new Date(t).toLocaleString()})`
}

/** The words to show for a failed request, from the OpenAI-shaped error body. */
function errorText(status, body) {
  const err = (body && body.error) || {}
  if (status === 429 && err.resets_at != null) {
    return `Your ChatGPT plan's usage limit is reached. It resets ${resetsInWords(err.resets_at)}.`
  }
  return err.message || `The gateway answered ${status} with no message.`
}

function sessionEnded() {
  ended = true
  account.className = 'off'
  account.textContent = `This page has no session (the gateway restarted, or the page was opened without a link). ${NEW_LINK}`
  picker.replaceChildren()
  picker.disabled = true
}

// ---- The live picker ----

function showModels(e) {
  const signedIn = e.state === 'signed-in'
  account.className = signedIn ? '' : 'off'
  account.textContent = !signedIn
    ? 'Not signed in: ask your agent to sign in with ChatGPT'
    : e.account
      ? `Signed in as ${e.account.email ?? 'an unknown account'} (${e.account.plan ?? 'unknown plan'})`
      : 'Signed in'
  const ids = (signedIn ? e.models : []).map((m) => PREFIX + m.id)
  const keep = picker.value
  picker.replaceChildren(
    ...ids.map((id) => {
      const o = document.createElement('option')
      o.value = id
      o.textContent = id
      return o
    }),
  )
  if (ids.includes(keep)) picker.value = keep
  picker.disabled = ids.length === 0
}

/** Follows the feed forever; reconnects after a drop, stops when the session is gone. */
async function follow() {
  while (!ended) {
    try {
      const res = await fetch('/v1/models/events', { headers: { accept: 'text/event-stream' } })
      if (res.status === 401 || res.status === 403) return sessionEnded()
      if (!res.ok) throw new Error(`the feed answered ${res.status}`)
      for await (const ev of readSse(res))
        if (ev.event === 'models') showModels(JSON.parse(ev.data))
    } catch {
      account.className = 'off'
      account.textContent = `The gateway is not reachable. If it stopped, start it again (serve --detach), then: ${NEW_LINK}`
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
}

// ---- Commands and chat ----

function modelCommand(arg) {
  const ids = [...picker.options].map((o) => o.value)
  if (!arg) {
    say(
      'models',
      ids.length ? `${ids.join('\n')}\n(current: ${picker.value})` : 'No models: not signed in.',
      'note',
    )
    return
  }
  const id = arg.startsWith(PREFIX) ? arg : PREFIX + arg
  if (!ids.includes(id))
    return void say('models', `Unknown model ${id}. Type /model to list them.`, 'error')
  picker.value = id
  say('models', `Model: ${id}`, 'note')
}

async function send(text) {
  const model = picker.value
  if (!model) return void say('error', 'No model to send to: not signed in.', 'error')
  say('you', text)
  history.push({ role: 'user', content: text })
  const out = say(model, '')
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: history, stream: true }),
    })
    if (!res.ok) {
      const body = await res.json().catch(() => null)
      // A 401 that is not "not signed in" means this page's cookie is no longer known.
      if (res.status === 401 && body?.error?.code !== 'not_signed_in') {
        sessionEnded()
        throw new Error(`This page has no session. ${NEW_LINK}`)
      }
      throw new Error(errorText(res.status, body))
    }
    for await (const ev of readSse(res)) {
      if (ev.data === '[DONE]') break
      const chunk = JSON.parse(ev.data)
      if (chunk.error) throw new Error(errorText(0, chunk))
      out.textContent += chunk.choices?.[0]?.delta?.content ?? ''
    }
    history.push({ role: 'assistant', content: out.textContent })
  } catch (err) {
    history.pop()
    out.className = 'error'
    out.textContent = err instanceof Error && err.message ? err.message : String(err)
  }
}

message.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing) return
  ev.preventDefault()
  const text = message.value.trim()
  if (!text) return
  message.value = ''
  const cmd = /^\/model(?:\s+(\S+))?\s*$/.exec(text)
  if (cmd) modelCommand(cmd[1])
  else void send(text)
})

void follow()
