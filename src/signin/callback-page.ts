/**
 * The page the browser sees at the end of a browser sign-in: static HTML, no script, nothing
 * from the request echoed unescaped, and a Content-Security-Policy that would neuter markup even
 * if escaping ever failed (`default-src 'none'`; the one inline style is allowed by its hash).
 */
import { createHash } from 'node:crypto'

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}' +
  'h1{font-size:1.4em}.ok{color:#0a7d32}.fail{color:#b00020}p.detail{color:#555;word-break:break-word}'

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64')

/** Headers for every page and answer the listener sends. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  connection: 'close',
} as const

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

/**
 * HTML-escapes text for element content and quoted attributes.
 * Never throws.
 */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!)

function page(title: string, cls: 'ok' | 'fail', lines: string[], detail?: string): string {
  const p = (text: string, c?: string) => `<p${c ? ` class="${c}"` : ''}>${escapeHtml(text)}</p>`
  const [first = '', ...rest] = lines
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><h1 class="${cls}">${escapeHtml(title)}</h1>${p(first)}` +
    `${detail ? p(detail.slice(0, 300), 'detail') : ''}${rest.map((l) => p(l)).join('')}</body></html>`
  )
}

/**
 * Shown after the tokens are stored.
 * Never throws.
 */
export const successPage = (): string =>
  page('Signed in to ChatGPT', 'ok', [
    'You can close this tab and go back to your agent.',
    'Tell the agent you have signed in; it will finish the setup.',
  ])

/**
 * Shown when the sign-in failed. `detail` (which may come from the query string) is
 * truncated and escaped: it is shown as text, never as markup.
 * Never throws.
 */
export const failurePage = (message: string, detail?: string): string =>
  page(
    'Sign-in failed',
    'fail',
    [message, 'You can close this tab. Ask your agent to start the sign-in again.'],
    detail,
  )
