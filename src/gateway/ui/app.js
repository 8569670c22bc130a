// The page a person keeps open: the account and plan, the subscription's usage bars, a model
// picker that follows the gateway's live feed (GET /v1/models/events) with no reload, and a chat
// that streams from /v1/chat/completions and can be stopped. Plain browser modules, no framework,
// no build step.
//
// Rules it keeps: every request is same-origin (the session cookie goes with it, the CSP allows
// nothing else), and text from the network is only ever set as textContent or built into
// elements by markdown.js, never parsed as HTML.
import { say, streamAnswer } from './chat.js'
import { readSse } from './sse.js'
import { createUsage, untilWords } from './usage.js'

const $ = (id) => document.getElementById(id)
const account = $('account')
const picker = $('model')
const form = $('composer')
const message = $('message')
const sendButton = $('send')
const intro = $('intro')
const usage = createUsage($('usage'))

const PREFIX = 'openai-codex/'
const NEW_LINK = 'Ask your agent for a new page link (its serve --ui-url command).'
/** @type {{role: string, content: string}[]} */
const history = []
let ended = false
/** The running answer's abort, while one streams. */
let running = null
/** The account whose usage the bars show. */
let usageFor = null

// ---- Header: account, plan, sign-in state ----

/** The sign-in state in bold, then details; a `plan` shows as a badge. */
function showAccount(state, text, detail, plan) {
  account.dataset.state = state
  const s = document.createElement('strong')
  s.textContent = text
  const parts = (detail ?? []).map((d) => {
    const span = document.createElement('span')
    span.textContent = d
    return span
  })
  if (plan) {
    const badge = document.createElement('span')
    badge.className = 'plan'
    badge.textContent = plan
    parts.push(badge)
  }
  // Spaces between the parts: not drawn in the flex row, but the text reads as words.
  account.replaceChildren(s, ...parts.flatMap((p) => [' ', p]))
}

const planName = (p) => (p ? p.charAt(0).toUpperCase() + p.slice(1) : 'unknown plan')

function sessionEnded() {
  ended = true
  showAccount('off', 'No session', [
    `This page has no session (the gateway restarted, or the page was opened without a link). ${NEW_LINK}`,
  ])
  picker.replaceChildren()
  picker.disabled = true
}

// ---- Usage ----

async function loadUsage(who) {
  usageFor = who
  try {
    const res = await fetch('/v1/ui/usage')
    const body = await res.json().catch(() => null)
    if (usageFor !== who) return
    if (res.ok) usage.fromView(body)
    else usage.clear(`Usage is not available: ${body?.error?.message ?? res.status}`)
  } catch {
    usage.clear('Usage is not available: the gateway is not reachable.')
  }
}

// ---- The live picker ----

function showModels(e) {
  const signedIn = e.state === 'signed-in'
  if (!signedIn) {
    showAccount('off', 'Not signed in', ['Ask your agent to sign in with ChatGPT'])
    usageFor = null
    usage.clear('Usage shows once you are signed in.')
  } else {
    const who = e.account?.email ?? 'an unknown account'
    showAccount('on', 'Signed in', [who], planName(e.account?.plan))
    if (usageFor !== who) void loadUsage(who)
  }
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
      showAccount('off', 'Gateway not reachable', [
        `If it stopped, start it again (serve --detach), then: ${NEW_LINK}`,
      ])
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
}

// ---- Commands and chat ----

function modelCommand(arg) {
  const ids = [...picker.options].map((o) => o.value)
  if (!arg) {
    const list = ids.length ? `${ids.join('\n')}\n(current: ${picker.value})` : 'No models.'
    return void say('models', list, 'note')
  }
  const id = arg.startsWith(PREFIX) ? arg : PREFIX + arg
  if (!ids.includes(id))
    return void say('models', `Unknown model ${id}. Type /model to list them.`, 'error')
  picker.value = id
  say('models', `Model: ${id}`, 'note')
}

/** The words for a refused request; a usage-limit refusal also fills its bar. */
function failed(status, body) {
  const err = body?.error ?? {}
  if (status === 401 && err.code !== 'not_signed_in') {
    sessionEnded() // this page's cookie is no longer known
    return `This page has no session. ${NEW_LINK}`
  }
  if (err.code === 'usage_limit_reached' || (status === 429 && err.resets_at != null)) {
    usage.limitReached(err.resets_at)
    const when = err.resets_at ? ` It resets in ${untilWords(Date.parse(err.resets_at))}.` : ''
    return `Your ChatGPT plan's usage limit is reached.${when}`
  }
  return err.message || `The gateway answered ${status} with no message.`
}

function busy(on) {
  sendButton.textContent = on ? 'Stop' : 'Send'
  sendButton.classList.toggle('stop', on)
  sendButton.setAttribute('aria-label', on ? 'Stop the answer' : 'Send')
}

async function send(text) {
  const model = picker.value
  if (!model) return void say('error', 'No model to send to: not signed in.', 'error')
  intro.hidden = true
  say('You', text, 'mine')
  history.push({ role: 'user', content: text })
  running = new AbortController()
  busy(true)
  const answer = await streamAnswer(model, history, running.signal, {
    headers: (h) => usage.fromHeaders(h),
    failed,
  })
  running = null
  busy(false)
  if (answer === null) history.pop()
  else history.push({ role: 'assistant', content: answer })
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault()
  if (running) return running.abort() // the button is Stop while an answer streams
  const text = message.value.trim()
  if (!text) return
  message.value = ''
  const cmd = /^\/model(?:\s+(\S+))?\s*$/.exec(text)
  if (cmd) modelCommand(cmd[1])
  else void send(text)
})

message.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && running) return running.abort()
  if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing) return
  ev.preventDefault()
  if (!running) form.requestSubmit() // Enter never stops an answer: only Stop or Escape do
})

void follow()
