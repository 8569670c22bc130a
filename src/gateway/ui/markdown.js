// Answers as Markdown, safely. markdown-it parses (html: false, so raw HTML in the model's text
// is never HTML: it stays text), and this file builds the DOM from its tokens with
// createElement and textContent only: no HTML string is ever parsed by the browser, so nothing in
// a model's answer can become markup or script. Links are http(s) only, open in a new tab, and
// carry rel="noopener noreferrer"; images are shown as links, never loaded.
import markdownit from './vendor/markdown-it.js'

const md = markdownit({ html: false, linkify: true, breaks: true })
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false })
// Anything but http(s) is not a link at all: it stays the text the model wrote.
md.validateLink = (url) => /^https?:\/\//i.test(url.trim())

/** The elements a token may open; anything else becomes a <span>. */
const TAGS = new Set('p ul ol li blockquote em strong s table thead tbody tr th td'.split(' '))
/** Headings in an answer sit under the page's own: # is h3, ## is h4, the rest h5/h6. */
const HEADING = { h1: 'h3', h2: 'h4', h3: 'h5', h4: 'h6', h5: 'h6', h6: 'h6' }

/** The URL when it is an absolute http(s) one, else null. */
export function safeHref(href) {
  try {
    const u = new URL(href)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null
  } catch {
    return null
  }
}

const el = (tag, className) => {
  const e = document.createElement(tag)
  if (className) e.className = className
  return e
}

function link(href, text) {
  const url = safeHref(href ?? '')
  if (!url) return el('span')
  const a = el('a')
  a.href = url
  a.target = '_blank'
  a.rel = 'noopener noreferrer'
  if (text) a.textContent = text
  return a
}

/** A code block with its language and a copy button; long lines scroll inside it. */
function codeBlock(content, info) {
  const box = el('div', 'code')
  const bar = el('div', 'code-bar')
  const lang = el('span', 'code-lang')
  lang.textContent = (info ?? '').trim().split(/\s+/)[0] || 'code'
  const copy = el('button', 'copy')
  copy.type = 'button'
  copy.textContent = 'Copy'
  copy.setAttribute('aria-label', `Copy ${lang.textContent}`)
  const pre = el('pre')
  pre.tabIndex = 0 // a block that scrolls sideways must be reachable from the keyboard
  const code = el('code')
  code.textContent = content
  pre.append(code)
  copy.addEventListener('click', () => {
    const done = (word) => {
      copy.textContent = word
      setTimeout(() => (copy.textContent = 'Copy'), 1500)
    }
    // No clipboard access (an insecure origin, a denied permission): select it for Ctrl+C.
    const select = () => (getSelection()?.selectAllChildren(code), done('Selected'))
    if (navigator.clipboard)
      navigator.clipboard.writeText(content).then(() => done('Copied'), select)
    else select()
  })
  bar.append(lang, copy)
  box.append(bar, pre)
  return box
}

/** Appends the DOM for `tokens` (a markdown-it token list) to `root`. */
function build(tokens, root) {
  const stack = [root]
  const top = () => stack[stack.length - 1]
  for (const t of tokens) {
    // A tight list's paragraphs are hidden: their text goes straight into the <li>.
    if (t.hidden && t.nesting !== 0) continue
    if (t.nesting === -1) {
      if (stack.length > 1) stack.pop()
      continue
    }
    if (t.nesting === 1) {
      let node
      let inner
      if (t.type === 'link_open') node = link(t.attrGet('href'))
      else if (t.tag === 'table') {
        node = el('div', 'table') // a wide table scrolls inside its own box
        node.tabIndex = 0
        inner = el('table')
        node.append(inner)
      } else if (HEADING[t.tag]) node = el(HEADING[t.tag])
      else node = el(TAGS.has(t.tag) ? t.tag : 'span')
      if (t.tag === 'ol' && Number(t.attrGet('start')) > 1) node.start = Number(t.attrGet('start'))
      const align = /text-align:(left|right|center)/.exec(t.attrGet('style') ?? '')
      if (align) node.className = `align-${align[1]}`
      top().append(node)
      stack.push(inner ?? node)
      continue
    }
    switch (t.type) {
      case 'inline':
        build(t.children ?? [], top())
        break
      case 'fence':
      case 'code_block':
        top().append(codeBlock(t.content.replace(/\n$/, ''), t.info))
        break
      case 'code_inline': {
        const c = el('code')
        c.textContent = t.content
        top().append(c)
        break
      }
      case 'softbreak':
      case 'hardbreak':
        top().append(el('br'))
        break
      case 'hr':
        top().append(el('hr'))
        break
      case 'image': {
        // Never loaded (a tracking pixel would learn the page is open): a link to it instead.
        const alt = t.children?.map((c) => c.content).join('') || 'image'
        const a = link(t.attrGet('src'), `image: ${alt}`)
        if (!a.href) a.textContent = alt
        top().append(a)
        break
      }
      default:
        // text, and whatever else: as text, never as markup.
        if (t.content) top().append(document.createTextNode(t.content))
    }
  }
}

/** The answer `text` as a DocumentFragment of safe elements. */
export function renderMarkdown(text) {
  const frag = document.createDocumentFragment()
  build(md.parse(text, {}), frag)
  return frag
}
