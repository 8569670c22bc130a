/**
 * Issue 21 in headless chromium: the page a person keeps open. Usage bars from the usage cache
 * and then from each answer's headers, a visible wait with a collapsed "thinking", Stop that ends
 * the upstream stream, safe Markdown for untrusted answers, an axe-core scan, keyboard use, a
 * 360 px layout, and the screenshots docs/ui.md shows. A real gateway process and the emulator.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultUsage } from './emulator/state.js'
import { leakScan, record } from './helpers/leaks.js'
import {
  SKIP_BROWSER,
  screenshotPath,
  uiWorld,
  type BrowserContext,
  type Page,
  type UiWorld,
} from './helpers/ui-page.js'

if (SKIP_BROWSER)
  console.warn('ui-page.test.ts skipped: no /usr/bin/chromium (apt-get install chromium)')

const RESPONSES = 'POST /backend-api/codex/responses'
const USAGE = 'GET /backend-api/wham/usage'

describe.skipIf(SKIP_BROWSER)('the page a person keeps open', () => {
  let u: UiWorld
  let ctx: BrowserContext
  let page: Page
  const dialogs: string[] = []

  const bar = (name: string, p = page) => p.getByRole('progressbar', { name, exact: true })
  const barValue = (name: string, p = page) => bar(name, p).getAttribute('value')
  const barText = (name: string, p = page) =>
    p
      .locator('.meter', { has: bar(name, p) })
      .locator('.meter-text')
      .textContent()
  const lastAnswer = (p = page) => p.locator('#transcript .turn.answer').last()
  const send = async (text: string, p = page) => {
    await p.getByLabel('Message').fill(text)
    await p.getByLabel('Message').press('Enter')
  }
  /** Sends and waits until the answer row is no longer busy. */
  const ask = async (text: string, p = page) => {
    const n = await p.locator('#transcript .turn.answer').count()
    await send(text, p)
    const row = p.locator('#transcript .turn.answer').nth(n)
    await expect.poll(() => row.getAttribute('aria-busy'), { timeout: 5_000 }).toBeNull()
    return row
  }

  /**
   * A screenshot for docs/ui.md: a fresh page (header, bars, one question and its answer) in a
   * viewport of `width` x `height`, light or dark.
   */
  const shoot = async (
    name: string,
    question: string,
    opts: { width?: number; height?: number; scheme?: 'light' | 'dark' } = {},
  ) => {
    const { width = 1000, height = 760, scheme = 'light' } = opts
    const fresh = await u.open({ viewport: { width, height }, colorScheme: scheme })
    await expect.poll(() => barValue('5 hours', fresh.page)).not.toBeNull()
    await ask(question, fresh.page)
    await fresh.page.evaluate(() => window.scrollTo(0, 0))
    await fresh.page.screenshot({ path: screenshotPath(name), animations: 'disabled' })
    record(await fresh.page.content())
    return fresh
  }

  beforeAll(async () => {
    u = await uiWorld()
    ;({ ctx, page } = await u.open({
      viewport: { width: 1000, height: 760 },
      colorScheme: 'light',
    }))
    page.on('dialog', (d: any) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
  })
  afterAll(async () => {
    await u?.close()
  })

  it('on load the bars come from the usage cache: one usage request when it is cold, none after', async () => {
    await expect.poll(() => page.locator('#account').textContent()).toMatch(/^Signed in/)
    await expect.poll(() => barValue('5 hours')).toBe('12')
    expect(await barValue('Weekly')).toBe('40')
    expect(await barText('5 hours')).toBe('12% used · resets in 1 h')
    expect(await barText('Weekly')).toBe('40% used · resets in 1 day')
    expect(u.w.emu.count(USAGE)).toBe(1)
    // No blank stretch where the transcript will be: the composer follows the picker and the
    // one-line intro.
    const gap = await page.evaluate(
      () =>
        document.getElementById('composer')!.getBoundingClientRect().top -
        document.querySelector('.picker')!.getBoundingClientRect().bottom,
    )
    expect(gap).toBeLessThan(80)
    await page.screenshot({ path: screenshotPath('first-load'), animations: 'disabled' })
    await page.reload()
    await expect.poll(() => barValue('Weekly')).toBe('40')
    expect(u.w.emu.count(USAGE)).toBe(1) // the cache answered
    const { email, plan } = u.w.emu.account
    const header = await page.locator('#account').textContent()
    expect(header).toContain(email)
    expect(header?.toLowerCase()).toContain(plan)
    expect(await page.getByLabel('Model').locator('option').count()).toBeGreaterThan(0)
  })

  it("each answer's x-codex-* headers move the bars, with no usage request", async () => {
    const before = u.w.emu.count(USAGE)
    u.w.emu.set({ usage: { primary: { used_percent: 55 }, secondary: { used_percent: 61 } } })
    await ask('First question.')
    await expect.poll(() => barValue('5 hours')).toBe('55')
    expect(await barValue('Weekly')).toBe('61')
    u.w.emu.set({
      usage: {
        primary: { used_percent: 72.4, reset_after_s: 42 * 60 },
        secondary: { used_percent: 64 },
      },
    })
    await ask('Second question.')
    await expect.poll(() => barValue('5 hours')).toBe('72.4')
    expect(await barText('5 hours')).toBe('72% used · resets in 42 min')
    expect(await barValue('Weekly')).toBe('64')
    expect(u.w.emu.count(USAGE)).toBe(before)
  })

  it('from send to the first token the row shows the model is working; the reasoning summary sits in a collapsed Thinking', async () => {
    u.w.emu.set({ responses: { reply: 'reasoning', text: 'Done thinking.', firstDelayMs: 1_200 } })
    const n = await page.locator('#transcript .turn.answer').count()
    await send('Think first.')
    const row = page.locator('#transcript .turn.answer').nth(n)
    await expect.poll(() => row.locator('.working').isVisible(), { timeout: 1_000 }).toBe(true)
    expect(await page.locator('#send').textContent()).toBe('Stop')
    await page.screenshot({ path: screenshotPath('working'), animations: 'disabled' })
    await expect
      .poll(() => row.locator('.md').textContent(), { timeout: 5_000 })
      .toBe('Done thinking.')
    await expect.poll(() => row.getAttribute('aria-busy')).toBeNull()
    expect(await row.locator('.working').count()).toBe(0)
    const thinking = row.locator('details.thinking')
    expect(await thinking.evaluate((d: any) => (d as HTMLDetailsElement).open)).toBe(false)
    expect(await thinking.locator('summary').textContent()).toBe('Thinking')
    expect(await thinking.locator('p').textContent()).toBe(
      'Considering the request before answering.',
    )
    expect(await page.locator('#send').textContent()).toBe('Send')
    await thinking.locator('summary').click() // opens with a click (or Enter on the summary)
    await page.screenshot({ path: screenshotPath('thinking'), animations: 'disabled' })
    u.w.emu.set({ responses: { reply: 'text' } })
  })

  it('Stop aborts the answer, and the gateway closes the upstream stream (the emulator sees it)', async () => {
    u.w.emu.set({
      responses: { reply: 'text', text: 'one two three four five six', mode: 'slow', slowMs: 400 },
    })
    const aborted = u.w.emu.stats.aborted
    const sent = u.w.emu.count(RESPONSES)
    const n = await page.locator('#transcript .turn.answer').count()
    await send('Tell me a long story.')
    const row = page.locator('#transcript .turn.answer').nth(n)
    await expect.poll(() => row.locator('.md').textContent(), { timeout: 5_000 }).toMatch(/^one/)
    // Enter while it streams sends nothing more.
    await page.getByLabel('Message').fill('Another one.')
    await page.getByLabel('Message').press('Enter')
    expect(await page.getByLabel('Message').inputValue()).toBe('Another one.')
    const t0 = Date.now()
    await page.getByRole('button', { name: 'Stop the answer' }).click()
    await expect
      .poll(() => u.w.emu.stats.aborted, { timeout: 2_000, interval: 20 })
      .toBe(aborted + 1)
    expect(Date.now() - t0).toBeLessThan(2_000) // closed, not run to its end (~4 s)
    expect(u.w.emu.count(RESPONSES)).toBe(sent + 1)
    await expect.poll(() => row.locator('.note').textContent()).toBe('Stopped.')
    expect(await row.locator('.md').textContent()).not.toBe('one two three four five six')
    expect(await page.locator('#send').textContent()).toBe('Send')
    // Escape in the message box stops too.
    await page.getByLabel('Message').fill('Once more, slowly.')
    await page.getByLabel('Message').press('Enter')
    await expect.poll(() => page.locator('#send').textContent()).toBe('Stop')
    await page.getByLabel('Message').press('Escape')
    await expect
      .poll(() => u.w.emu.stats.aborted, { timeout: 2_000, interval: 20 })
      .toBe(aborted + 2)
    await expect.poll(() => lastAnswer().locator('.note').textContent()).toBe('Stopped.')
    u.w.emu.set({ responses: { reply: 'text' } })
  })

  it('model output is untrusted: HTML, script and javascript: links render as text and run nothing', async () => {
    const payload = [
      'Look: <img src=x onerror="window.__pwned=1;alert(1)"> and <script>window.__pwned=2</script>',
      '',
      '[click me](javascript:window.__pwned=3) <javascript:window.__pwned=4> [data](data:text/html,<b>x</b>)',
      '',
      '<a href="javascript:window.__pwned=5">raw link</a> <iframe src="javascript:alert(1)"></iframe>',
      '',
      '![pixel](http://127.0.0.1:9/pixel.png "t")',
    ].join('\n')
    u.w.emu.set({ responses: { reply: 'text', text: payload } })
    const row = await ask('Show me some HTML.')
    const md = row.locator('.md')
    expect(await md.locator('img, script, iframe, [onerror], [style]').count()).toBe(0)
    const text = await md.textContent()
    expect(text).toContain('<img src=x onerror="window.__pwned=1;alert(1)">')
    expect(text).toContain('<script>window.__pwned=2</script>')
    expect(text).toContain('[click me](javascript:window.__pwned=3)')
    const hrefs = await md
      .locator('a')
      .evaluateAll((as: any) =>
        as.map((a: any) => [
          a.getAttribute('href'),
          a.getAttribute('rel'),
          a.getAttribute('target'),
        ]),
      )
    expect(hrefs).toEqual([['http://127.0.0.1:9/pixel.png', 'noopener noreferrer', '_blank']])
    // Clicking where the links would have been does nothing either.
    await md.getByText('click me').click()
    await md.getByText('raw link').click()
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined()
    expect(dialogs).toEqual([])
    u.w.emu.set({ responses: { reply: 'text' } })
  })

  it('answers render as Markdown: paragraphs, lists, links, code blocks with a working copy button', async () => {
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'])
    const code = 'for (const x of [1, 2, 3]) console.log(x * 2)'
    const answer = [
      'Here is **the plan**:',
      '',
      '1. Read the docs at https://example.com/docs',
      '2. Run the `build`',
      '',
      '- a point',
      '- [a link](https://example.com/a)',
      '',
      '```js',
      code,
      '```',
    ].join('\n')
    u.w.emu.set({ responses: { reply: 'text', text: answer } })
    const row = await ask('Make a plan.')
    const md = row.locator('.md')
    expect(await md.locator('p').first().textContent()).toBe('Here is the plan:')
    expect(await md.locator('strong').textContent()).toBe('the plan')
    expect(await md.locator('ol > li').count()).toBe(2)
    expect(await md.locator('ul > li').count()).toBe(2)
    expect(await md.locator('li code').textContent()).toBe('build')
    expect(
      await md
        .locator('a')
        .evaluateAll((as: any) => as.map((a: any) => (a as HTMLAnchorElement).href)),
    ).toEqual(['https://example.com/docs', 'https://example.com/a'])
    expect(await md.locator('pre code').textContent()).toBe(code)
    await md.getByRole('button', { name: 'Copy js' }).click()
    await expect.poll(() => md.locator('.copy').textContent()).toBe('Copied')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code)
    await (await shoot('answer', 'Make a plan.')).ctx.close()
    await (await shoot('answer-dark', 'Make a plan.', { scheme: 'dark' })).ctx.close()
    u.w.emu.set({ responses: { reply: 'text' } })
  })

  it('near the limit the bar turns; a usage-limit refusal fills it and says when it resets', async () => {
    u.w.emu.set({
      usage: {
        primary: { used_percent: 93, reset_after_s: 42 * 60 },
        secondary: { used_percent: 81 },
      },
    })
    await ask('Almost out.')
    await expect.poll(() => barValue('5 hours')).toBe('93')
    expect(await page.locator('.meter', { has: bar('5 hours') }).getAttribute('data-level')).toBe(
      'high',
    )
    u.w.emu.set({
      responses: { reply: 'text', text: 'You have used **93%** of the 5-hour window.' },
    })
    await (await shoot('usage-near-limit', 'How much is left?')).ctx.close()
    u.w.emu.set({ responses: { reply: 'text', mode: 'usage_limit' } })
    const row = await ask('Once more.')
    expect(await row.locator('.note').textContent()).toMatch(
      /usage limit is reached\. It resets in (1 h|59 min)\./,
    )
    await expect.poll(() => barValue('5 hours')).toBe('100')
    expect(await barText('5 hours')).toMatch(/^Limit reached · resets in (1 h|59 min)$/)
    expect(await page.locator('.meter', { has: bar('5 hours') }).getAttribute('data-level')).toBe(
      'full',
    )
    expect(await barValue('Weekly')).toBe('81')
    u.w.emu.set({ responses: { reply: 'text' }, usage: defaultUsage() })
  })

  it('a full bar whose window starts over empties while the page stays open', async () => {
    u.w.emu.set({ usage: { primary: { used_percent: 100, reset_after_s: 2 } } })
    await ask('Right before the reset.')
    await expect.poll(() => barText('5 hours')).toBe('100% used · resets in under a minute')
    expect(await page.locator('.meter', { has: bar('5 hours') }).getAttribute('data-level')).toBe(
      'full',
    )
    await expect
      .poll(() => barText('5 hours'), { timeout: 4_000, interval: 100 })
      .toBe('Reset: fresh numbers come with the next answer')
    expect(await barValue('5 hours')).toBe('0')
    u.w.emu.set({ usage: defaultUsage() })
  })

  it('works from the keyboard alone, with a visible focus; Shift+Enter adds a line, Enter sends', async () => {
    await page.locator('body').click({ position: { x: 1, y: 1 } })
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    const seen: string[] = []
    for (let i = 0; i < 40 && !seen.includes('send'); i++) {
      await page.keyboard.press('Tab')
      const f = await page.evaluate(() => {
        const e = document.activeElement as HTMLElement
        const s = getComputedStyle(e)
        return { id: e.id, outline: s.outlineStyle, width: s.outlineWidth }
      })
      if (f.id) seen.push(f.id)
      expect(f.outline).not.toBe('none') // every stop shows where the focus is
      expect(f.width).not.toBe('0px')
    }
    expect(seen).toEqual(expect.arrayContaining(['model', 'message', 'send']))
    await page.getByLabel('Message').focus()
    await page.keyboard.type('line one')
    await page.keyboard.press('Shift+Enter')
    await page.keyboard.type('line two')
    expect(await page.getByLabel('Message').inputValue()).toBe('line one\nline two')
    const before = u.w.emu.count(RESPONSES)
    await page.keyboard.press('Enter')
    await expect.poll(() => u.w.emu.count(RESPONSES)).toBe(before + 1)
    expect(await page.locator('#transcript .turn.mine').last().locator('.body').textContent()).toBe(
      'line one\nline two',
    )
    await expect.poll(() => lastAnswer().getAttribute('aria-busy')).toBeNull()
  })

  it('axe-core finds no serious or critical violations, light or dark', async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      // Injected through the DevTools protocol: the page's CSP allows no inline script.
      await page.evaluate(axe)
      const result = await page.evaluate(() =>
        (
          window as unknown as {
            axe: {
              run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }>
            }
          }
        ).axe.run(),
      )
      const bad = result.violations
        .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
        .map((v: any) => `${scheme}: ${v.id} (${v.impact}) x${v.nodes.length}`)
      expect(bad).toEqual([])
    }
    await page.emulateMedia({ colorScheme: 'light' })
  })

  it('at 360 px long words, URLs, code and tables stay inside their own block', async () => {
    const long = [
      'A long word: Donaudampfschifffahrtsgesellschaftskapitaenskajuetenschluesselloch.',
      '',
      'A long URL: https://example.com/a/very/long/path/that/goes/on/and/on/without/any/break?with=query&and=more',
      '',
      '```sh',
      'npx chatgpt-codex-onboarding serve --detach --port 0 --cors-origin http://127.0.0.1:5173 # a long line',
      '```',
      '',
      '| model | context | reasoning | notes |',
      '| --- | ---: | --- | --- |',
      '| gpt-5.5-codex-max | 400000 | high | a wide table with several columns of text |',
    ].join('\n')
    u.w.emu.set({ responses: { reply: 'text', text: long } })
    const { ctx: narrow, page: p } = await shoot('narrow-360', 'Show me long things.', {
      width: 360,
      height: 1100,
    })
    const widths = await p.evaluate(() => {
      const box = (sel: string) => document.querySelector(sel) as HTMLElement
      return {
        page: document.documentElement.scrollWidth,
        view: window.innerWidth,
        pre: { scroll: box('.md pre').scrollWidth, box: box('.md pre').clientWidth },
        table: { scroll: box('.md .table').scrollWidth, box: box('.md .table').clientWidth },
      }
    })
    expect(widths.page).toBeLessThanOrEqual(widths.view)
    expect(widths.pre.scroll).toBeGreaterThan(widths.pre.box) // the code scrolls inside its block
    expect(widths.table.scroll).toBeGreaterThan(widths.table.box) // so does the wide table
    await narrow.close()
    u.w.emu.set({ responses: { reply: 'text' } })
  })

  it('the strict CSP stays in force: no inline script, no inline style, no HTML from strings', async () => {
    const res = await page.request.get(page.url())
    const csp = res.headers()['content-security-policy']
    expect(csp).toMatch(/^default-src 'self';/)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/)
    expect(csp).toContain("require-trusted-types-for 'script'")
    const tried = await page.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<b>x</b>'
        return 'assigned'
      } catch (e) {
        return (e as Error).name
      }
    })
    expect(tried).toBe('TypeError')
  })

  it('the answers and the page hold no secret', async () => {
    record(await page.content())
  })
})

leakScan(import.meta.url)
