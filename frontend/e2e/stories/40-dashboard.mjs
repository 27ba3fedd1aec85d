// The dashboard story: an agent lands on the dashboard, changes its filters (kept in the URL),
// sees a ticket raised by a requester in another browser move the "Created" figure live, reads a
// chart as a table, and exports the ticket list as CSV. Runs on the seeded demo data.
import { USERS, expect, newPage, pages, screenshot, signIn, step, story } from '../lib.mjs'

async function created(page) {
  return Number((await page.getByTestId('kpi-created').locator('.kpi-value').textContent()).trim())
}

step('dashboard: an agent lands on it with figures and charts', async (browser) => {
  const page = await newPage(browser, 'lead')
  await signIn(page, USERS.agent)
  await page.goto('/')
  await page.waitForURL(/\/dashboard$/)
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
  await page.getByTestId('kpis').waitFor()
  story.createdBefore = await created(page)
  expect(story.createdBefore > 0, `the demo data has tickets created in the last 30 days (got ${story.createdBefore})`)
  const backlog = Number((await page.getByTestId('kpi-backlog').locator('.kpi-value').textContent()).trim())
  expect(backlog > 0, 'the open backlog is counted')
  await page.getByTestId('chart-trend').locator('canvas').first().waitFor()
  expect((await page.getByTestId('workload').locator('tbody tr').count()) > 0, 'the workload table lists agents')
  await screenshot(page, 'dashboard-desktop')
})

step('dashboard: SLA compliance per policy, breached-now tile and its table', async () => {
  const page = pages.lead
  // The figures the page itself fetched (its period and zone), to compare what it shows with.
  const loaded = page.waitForResponse((r) => r.url().includes('/api/v1/reports/dashboard') && r.ok())
  await page.reload()
  const body = await (await loaded).json()
  const panel = page.getByTestId('sla-compliance')
  await panel.waitFor()
  expect(body.sla.policies_defined, 'the demo data defines SLA policies')
  expect(body.sla.by_policy.length > 0, `targets met or breached in the last 30 days (got ${JSON.stringify(body.sla)})`)
  await panel.locator('canvas').first().waitFor()
  const breached = Number((await page.getByTestId('kpi-sla-breached').locator('.kpi-value').textContent()).trim())
  expect(breached === body.sla.breached_open, `"SLA breached now" shows the server's count (${breached} vs ${body.sla.breached_open})`)
  await panel.getByText('Show as a table').click()
  const rows = panel.locator('table tbody tr')
  expect((await rows.count()) === body.sla.by_policy.length, `one row per policy (got ${await rows.count()})`)
  expect((await rows.first().locator('th').textContent()).trim() === body.sla.by_policy[0].policy, 'policies in the server order')
  expect((await panel.getByRole('img').getAttribute('aria-label')).startsWith('SLA targets met per policy'), 'the chart has a text summary')
  if (body.sla.breached_open) {
    await panel.getByTestId('sla-breached-link').click()
    await page.waitForURL(/\/tickets\?sla=breached/)
    await page.getByRole('link', { name: 'Dashboard' }).first().click()
    await page.waitForURL(/\/dashboard$/)
    await page.getByTestId('kpis').waitFor()
  }
})

step('dashboard: a filter change goes to the URL and updates the figures', async () => {
  const page = pages.lead
  // The answer for the new period (from..to spans seven days), not a 30-day load still in flight
  // from returning to the dashboard in the step before.
  const reloaded = page.waitForResponse((r) => {
    if (!r.url().includes('/api/v1/reports/dashboard') || !r.ok()) return false
    const query = new URL(r.url()).searchParams
    return (Date.parse(query.get('to')) - Date.parse(query.get('from'))) / 86400000 === 6
  })
  await page.getByLabel('Period').selectOption('7')
  await page.waitForURL(/\/dashboard\?days=7$/)
  const body = await (await reloaded).json()
  expect(body.created_vs_resolved.length === 7, `seven days of rows (got ${body.created_vs_resolved.length})`)
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="kpi-created"] .kpi-value')?.textContent) === n,
    body.created_vs_resolved.reduce((sum, day) => sum + day.created, 0),
  )
  // A reload keeps the filter: the URL is the state.
  await page.reload()
  await page.getByTestId('kpis').waitFor()
  expect((await page.getByLabel('Period').inputValue()) === '7', 'the period survives a reload')
  // Back to the default period for the live step.
  await page.getByLabel('Period').selectOption('30')
  await page.waitForURL(/\/dashboard$/)
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="kpi-created"] .kpi-value')?.textContent) === n,
    story.createdBefore,
  )
})

step('dashboard: a ticket raised in another browser moves "Created" live', async (browser) => {
  const requester = await newPage(browser, 'dash-requester')
  await signIn(requester, USERS.requester)
  await requester.getByRole('link', { name: 'New ticket' }).first().click()
  story.dashTitle = `Projector flickers ${Date.now()}`
  await requester.getByLabel('Title').fill(story.dashTitle)
  await requester.getByRole('button', { name: 'Create ticket' }).click()
  await requester.waitForURL(/\/tickets\/\d+$/)
  story.dashNumber = (await requester.locator('.number').first().textContent()).trim()
  // No reload on the agent's side: the websocket event triggers a (throttled) refresh.
  await pages.lead.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="kpi-created"] .kpi-value')?.textContent) === n,
    story.createdBefore + 1,
  )
})

step('dashboard: each chart reads as a table too', async () => {
  const page = pages.lead
  const trend = page.getByTestId('chart-trend')
  await trend.getByText('Show as a table').click()
  const rows = trend.locator('table tbody tr')
  expect((await rows.count()) === 30, `one row per day (got ${await rows.count()})`)
  expect((await trend.getByRole('img').getAttribute('aria-label')).includes('created'), 'the chart has a text summary')
})

step('dashboard: on a phone', async (browser) => {
  const phone = await newPage(browser, 'lead-phone', { width: 375, height: 800 })
  await signIn(phone, USERS.agent)
  await phone.goto('/dashboard')
  await phone.getByTestId('kpis').waitFor()
  await phone.getByTestId('chart-trend').locator('canvas').first().waitFor()
  await screenshot(phone, 'dashboard-phone')
})

step('ticket list: "Export CSV" downloads the filtered list', async () => {
  const page = pages.lead
  await page.getByRole('link', { name: 'Tickets', exact: true }).click()
  await page.waitForURL(/\/tickets$/)
  await page.getByLabel('Search').fill(story.dashTitle)
  await page.waitForURL(/\/tickets\?q=/)
  await page.waitForFunction(() => document.querySelectorAll('[data-ticket-number]').length === 1)
  await page.locator(`[data-ticket-number="${story.dashNumber}"]`).waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
  expect(/^helpdesk-tickets-.*\.csv$/.test(download.suggestedFilename()), `file name (got ${download.suggestedFilename()})`)
  const chunks = []
  for await (const chunk of await download.createReadStream()) chunks.push(chunk)
  const text = Buffer.concat(chunks).toString('utf8')
  expect(text.startsWith('\ufeff"number","title"'), 'UTF-8 with BOM and the header row')
  const lines = text.trim().split('\r\n')
  expect(lines.length === 2 && lines[1].startsWith(`"${story.dashNumber}","${story.dashTitle}"`), `exactly the searched ticket (got ${lines.length - 1} rows)`)
})
