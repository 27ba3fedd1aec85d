// End-to-end stories in a real browser (Debian's chromium via playwright-core) against a
// running Helpdesk server with demo data. Contract: see frontend/README.md ("End-to-end").
//   E2E_BASE_URL  the server, e.g. http://127.0.0.1:8123 (required)
//   E2E_CHROMIUM  browser binary (default /usr/bin/chromium)
//   E2E_TIMEOUT_MS  per-wait timeout (default 15000)
//   E2E_ONLY  run only the stories whose file name contains this text (the final checks always run)
//   E2E_TRUSTED_SPKI  base64 SHA-256 of a test server's public key that Chromium accepts without a
//     trusted chain (the self-signed certificate of the nginx front; Node gets NODE_EXTRA_CA_CERTS)
// Each file in e2e/stories/ registers its steps with step(); they run in file-name order, one
// browser for all, then the checks below judge every page any story opened.
import { mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { OUT, a11yViolations, consoleErrors, cspViolations, expect, pages, step, steps } from './lib.mjs'

const storiesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stories')
for (const file of (await readdir(storiesDir)).filter((f) => f.endsWith('.mjs')).sort()) {
  if (process.env.E2E_ONLY && !file.includes(process.env.E2E_ONLY)) continue
  await import(pathToFileURL(path.join(storiesDir, file)).href)
}

step('no serious accessibility violations on any screen (axe-core)', async () => {
  expect(a11yViolations.length === 0, `axe-core found:\n${a11yViolations.join('\n')}`)
})

step('no Content-Security-Policy violation on any page', async () => {
  // Pages still open: what their own listener kept (the binding already reported it; a mismatch
  // means the binding missed one).
  for (const [who, page] of Object.entries(pages)) {
    if (page.isClosed()) continue
    for (const text of await page.evaluate(() => window.__cspViolations ?? [])) {
      if (!cspViolations.includes(`[${who}] ${text}`)) cspViolations.push(`[${who}] (in page) ${text}`)
    }
  }
  expect(cspViolations.length === 0, `CSP violations:\n${cspViolations.join('\n')}`)
})

step('no console errors on any page', async () => {
  expect(consoleErrors.length === 0, `console errors:\n${consoleErrors.join('\n')}`)
})

async function main() {
  await rm(OUT, { recursive: true, force: true })
  await mkdir(OUT, { recursive: true })
  const trustedKey = process.env.E2E_TRUSTED_SPKI
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      ...(trustedKey ? [`--ignore-certificate-errors-spki-list=${trustedKey}`] : []),
    ],
  })
  let failed = false
  try {
    for (const { name, fn } of steps) {
      const started = Date.now()
      try {
        await fn(browser)
        console.log(`ok   ${name} (${Date.now() - started} ms)`)
      } catch (err) {
        failed = true
        console.error(`FAIL ${name}\n${err.stack ?? err}`)
        for (const [who, page] of Object.entries(pages)) {
          await page.screenshot({ path: path.join(OUT, `failure-${who}.png`), fullPage: true }).catch(() => undefined)
        }
        if (consoleErrors.length) console.error(`console errors so far:\n${consoleErrors.join('\n')}`)
        break
      }
    }
  } finally {
    await browser.close()
  }
  console.log(failed ? 'e2e: FAILED' : `e2e: all ${steps.length} steps passed; screenshots in ${OUT}`)
  process.exit(failed ? 1 : 0)
}

await main()
