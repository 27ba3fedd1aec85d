// The e2e harness shared by every story in e2e/stories/: browser pages per person, sign-in,
// API helpers, screenshots checked with axe-core, and the step registry run.mjs executes.
// Contract: frontend/README.md ("End-to-end").
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

export const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export const BASE = process.env.E2E_BASE_URL?.replace(/\/$/, '')
if (!BASE) {
  console.error('E2E_BASE_URL is not set (the URL of a running Helpdesk server with seeded demo data).')
  process.exit(2)
}
export const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 15000)
export const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results')
export const USERS = {
  requester: 'requester@example.com',
  agent: 'agent@example.com',
  approver: 'approver@example.com',
}
export const WORKFLOW = 'Manager approval'
// A real 1×1 PNG: the server checks the leading bytes against the declared type.
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

export const consoleErrors = []
export const pages = {}
/** HTTP error statuses the current step provokes on purpose (e.g. the 422 step). */
export const expectedStatuses = new Set()
let shot = 0

export function expect(condition, message) {
  if (!condition) throw new Error(`Expectation failed: ${message}`)
}

/**
 * Content-Security-Policy violations on any page any story opens (issue 10 item 3): Chromium's
 * console report and the page's `securitypolicyviolation` events (also kept in the page as
 * window.__cspViolations, reported here through a binding so they survive navigations).
 */
export const cspViolations = []

/** Every screenshotted screen is also checked with axe-core (WCAG A/AA rules). */
export const a11yViolations = []

export async function screenshot(page, name) {
  shot += 1
  await page.screenshot({ path: path.join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true })
  // Evaluated over the DevTools protocol, not added as an inline <script>: the app's CSP (rightly)
  // refuses inline scripts, and the check must not cause the violations it looks for.
  await page.evaluate(axeSource)
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  )
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      a11yViolations.push(`${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)
    }
  }
}

export async function newPage(browser, who, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, baseURL: BASE })
  context.setDefaultTimeout(TIMEOUT)
  await context.exposeBinding('__reportCspViolation', (_source, text) => cspViolations.push(`[${who}] ${text}`))
  await context.addInitScript(() => {
    window.__cspViolations = []
    document.addEventListener('securitypolicyviolation', (e) => {
      const text = `${e.effectiveDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile || location.href}:${e.lineNumber}) on ${location.pathname}`
      window.__cspViolations.push(text)
      window.__reportCspViolation(text)
    })
  })
  const page = await context.newPage()
  // Toasts disappear after a few seconds; keep a log of every one shown, for assertions.
  await page.addInitScript(() => {
    window.__toasts = []
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          if (node instanceof HTMLElement && node.classList.contains('toast')) window.__toasts.push(node.textContent.trim())
        }
      }
    }).observe(document, { childList: true, subtree: true })
  })
  page.on('console', (msg) => {
    if (msg.text().includes('Content Security Policy')) cspViolations.push(`[${who}] console: ${msg.text()}`)
    // Chromium logs every HTTP error response as a console error; those are judged below.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      consoleErrors.push(`[${who}] ${msg.text()}`)
    }
  })
  page.on('response', (res) => {
    if (res.status() >= 400 && !expectedStatuses.has(res.status())) {
      consoleErrors.push(`[${who}] HTTP ${res.status()} ${res.request().method()} ${res.url()}`)
    }
  })
  page.on('pageerror', (err) => consoleErrors.push(`[${who}] uncaught: ${err.message}`))
  pages[who] = page
  return page
}

export async function waitForToast(page, text) {
  await page.waitForFunction((t) => window.__toasts.some((m) => m.includes(t)), text)
}

export async function signIn(page, email) {
  await page.goto('/tickets')
  await page.waitForURL(/\/sign-in\?next=/)
  await page.locator(`button[data-email="${email}"]`).click()
  await page.waitForURL(/\/tickets$/)
  await page.getByTestId('current-user').waitFor({ state: 'attached' })
  await page.locator('.live-dot--open').waitFor()
}

export async function devToken(email) {
  const res = await fetch(`${BASE}/api/v1/auth/dev/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email }),
  })
  expect(res.ok, `dev token for ${email}: HTTP ${res.status}`)
  return (await res.json()).access_token
}

export async function apiAs(email, pathname, { method = 'GET', body } = {}) {
  const token = await devToken(email)
  const res = await fetch(`${BASE}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  expect(res.ok, `${method} ${pathname} as ${email}: HTTP ${res.status}`)
  return res.json()
}

export const steps = []
export function step(name, fn) {
  steps.push({ name, fn })
}

export const story = {}
