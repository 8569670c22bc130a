// The usage bars: one <progress> per rate-limit window the backend reports ("5 hours",
// "weekly"), with the percent used and when it resets. Filled from GET /v1/ui/usage on load,
// then from the x-codex-* headers every answer carries (no request of its own), and full when an
// answer is refused for the usage limit.

const NAMES = { 300: '5 hours', 1440: 'Daily', 10080: 'Weekly' }

/** What people call a window of `minutes`. */
export function windowName(minutes) {
  if (NAMES[minutes]) return NAMES[minutes]
  if (!minutes) return 'Usage limit'
  if (minutes % 1440 === 0) return `${minutes / 1440} days`
  if (minutes % 60 === 0) return `${minutes / 60} hours`
  return `${minutes} minutes`
}

/** "42 min", "3 h 5 min", "6 days 23 h": how long until `at` (epoch ms). */
export function untilWords(at, now = Date.now()) {
  const min = Math.max(0, Math.round((at - now) / 60_000))
  if (min < 1) return 'under a minute'
  const d = Math.floor(min / 1440)
  const h = Math.floor((min % 1440) / 60)
  const m = min % 60
  if (d) return `${d} ${d === 1 ? 'day' : 'days'}${h ? ` ${h} h` : ''}`
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`
}

/** The windows an answer's x-codex-* headers describe (docs/protocol.md#82-rate-limit-response-headers). */
export function windowsFromHeaders(headers) {
  const out = []
  for (const name of ['primary', 'secondary']) {
    const used = Number.parseFloat(headers.get(`x-codex-${name}-used-percent`) ?? '')
    if (!Number.isFinite(used)) continue
    const minutes = Number.parseInt(headers.get(`x-codex-${name}-window-minutes`) ?? '', 10)
    const reset = Number.parseInt(headers.get(`x-codex-${name}-reset-at`) ?? '', 10)
    out.push({
      minutes: Number.isFinite(minutes) ? minutes : null,
      used,
      resetsAt: Number.isFinite(reset) ? reset * 1000 : null,
    })
  }
  return out
}

/** The bars in `section` (its `.meters` list is filled; `note` says what is missing). */
export function createUsage(section) {
  const list = section.querySelector('.meters')
  const note = section.querySelector('.usage-note')
  /** minutes -> {row, bar, text, w} */
  const bars = new Map()

  const show = (key, w) => {
    let b = bars.get(key)
    if (!b) {
      const id = `usage-${key}`
      const row = document.createElement('li')
      row.className = 'meter'
      const label = document.createElement('span')
      label.className = 'meter-name'
      label.id = `${id}-name`
      label.textContent = windowName(w.minutes)
      const text = document.createElement('span')
      text.className = 'meter-text'
      text.id = `${id}-text`
      const bar = document.createElement('progress')
      bar.max = 100
      bar.setAttribute('aria-labelledby', label.id)
      bar.setAttribute('aria-describedby', text.id)
      row.append(label, text, bar)
      b = { row, bar, text, w }
      bars.set(key, b)
      const after = [...bars.keys()].filter((k) => k > key).sort((x, y) => x - y)[0]
      list.insertBefore(row, after === undefined ? null : bars.get(after).row)
    }
    b.w = w
    paint(b)
    schedule()
  }

  const paint = (b) => {
    const { used, resetsAt, full } = b.w
    if (resetsAt && resetsAt <= Date.now()) {
      // The window has started over: nothing is used in it yet, whatever it said before.
      b.bar.value = 0
      b.row.dataset.level = 'ok'
      b.text.textContent = 'Reset: fresh numbers come with the next answer'
      return
    }
    const pct = Math.min(100, Math.max(0, full ? 100 : used))
    b.bar.value = pct
    b.row.dataset.level = full || pct >= 100 ? 'full' : pct >= 80 ? 'high' : 'ok'
    const when = resetsAt ? `resets in ${untilWords(resetsAt)}` : ''
    b.text.textContent = full
      ? `Limit reached${when ? ` · ${when}` : ''}`
      : `${Math.round(pct)}% used${when ? ` · ${when}` : ''}`
  }

  const setAll = (windows) => {
    if (!windows.length) return
    note.hidden = true
    // New numbers replace what was there, a full bar included.
    for (const w of windows) show(w.minutes ?? 0, { ...w, full: false })
  }

  // "resets in ..." counts down while the page stays open: a repaint every 30 s, and one just
  // after the next reset, so a full bar empties when its window starts over.
  let timer
  const schedule = () => {
    clearTimeout(timer)
    const now = Date.now()
    const next = Math.min(
      30_000,
      ...[...bars.values()].map((b) => b.w.resetsAt - now + 50).filter((ms) => ms > 0),
    )
    timer = setTimeout(() => (bars.forEach(paint), schedule()), next)
  }

  return {
    /** From GET /v1/ui/usage (the usage cache, or one request when it is cold). */
    fromView(view) {
      setAll(
        (view.windows ?? []).map((w) => ({
          minutes: w.window_minutes,
          used: w.used_percent,
          resetsAt: w.resets_at ? Date.parse(w.resets_at) : null,
        })),
      )
    },
    /** From the headers an answer carried. */
    fromHeaders(headers) {
      setAll(windowsFromHeaders(headers))
    },
    /** A usage-limit refusal: the window that resets then (or the nearest) is full. */
    limitReached(resetsAtIso) {
      const at = resetsAtIso ? Date.parse(resetsAtIso) : null
      let key = null
      let best = Infinity
      for (const [k, b] of bars) {
        const d = at && b.w.resetsAt ? Math.abs(b.w.resetsAt - at) : 1e15
        if (d < best) [key, best] = [k, d]
      }
      note.hidden = true
      const w = key === null ? { minutes: 0 } : bars.get(key).w
      show(key ?? 0, { ...w, used: 100, full: true, resetsAt: at ?? w.resetsAt })
    },
    /** Signed out: no bars. */
    clear(text) {
      bars.forEach((b) => b.row.remove())
      bars.clear()
      note.hidden = false
      note.textContent = text
    },
  }
}
