// SLA: an at-risk ticket shows its badge in the agent's list, the "At risk" quick filter finds it,
// and the badge turns overdue live when its first-response time passes; the ticket page shows
// both clocks with their history. A one-minute policy (24/7 calendar) makes that happen in a minute.
import { BASE, USERS, pages, expect, screenshot, newPage, signIn, apiAs, devToken, step, story } from '../lib.mjs'

const ADMIN = 'admin@example.com'

step('an admin sets up a one-minute SLA for changes; a requester raises one', async () => {
  const calendar = await apiAs(ADMIN, '/api/v1/sla/calendars', {
    method: 'POST',
    body: {
      name: `E2E around the clock ${Date.now()}`,
      timezone: 'UTC',
      hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]])),
    },
  })
  story.slaPolicy = await apiAs(ADMIN, '/api/v1/sla/policies', {
    method: 'POST',
    body: {
      name: `E2E one minute ${Date.now()}`,
      order: -100,
      type: 'change',
      calendar_id: calendar.id,
      first_response_minutes: 1,
      resolution_minutes: 30,
      warning_percent: 1,
    },
  })
  const me = await apiAs(USERS.agent, '/api/v1/users/me')
  story.slaTicket = await apiAs(USERS.requester, '/api/v1/tickets', {
    method: 'POST',
    body: { title: `Replace the core switch ${Date.now()}`, type: 'change', team_id: me.teams[0].id },
  })
  expect(story.slaTicket.sla?.policy === story.slaPolicy.name, `the new ticket runs under the one-minute policy`)
  expect(story.slaTicket.sla.first_response.state === 'running', 'its first-response clock runs')
})

step('the agent\'s "At risk" filter shows it with a risk badge that turns overdue live', async (browser) => {
  // Run alone (E2E_ONLY=30-sla), the agent signs in here; after the core story the page exists.
  let page = pages.agent
  if (!page) {
    page = await newPage(browser, 'agent')
    await signIn(page, USERS.agent)
  }
  // The warning comes 1 % into the minute: wait until the server lists the ticket as at risk.
  const deadline = Date.now() + 30000
  for (;;) {
    const atRisk = await apiAs(USERS.agent, '/api/v1/tickets?sla=at_risk&limit=100')
    if (atRisk.items.some((t) => t.id === story.slaTicket.id)) break
    expect(Date.now() < deadline, 'the ticket is listed as at risk within 30 s')
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await page.goto('/tickets')
  await page.getByTestId('at-risk-filter').click()
  await page.waitForURL(/sla=at_risk/)
  const row = page.locator('[data-ticket-number]', { hasText: story.slaTicket.title })
  const badge = row.getByTestId('sla-badge')
  await badge.waitFor()
  expect((await badge.getAttribute('data-tone')) === 'risk', `at-risk tone (got ${await badge.getAttribute('data-tone')})`)
  expect((await badge.textContent()).includes('due in'), 'the badge counts down')
  await screenshot(page, 'sla-at-risk-list')
  // No reload from here on: the countdown itself turns the badge overdue at the due time.
  await page.evaluate(() => (window.__slaMarker = true))
  await page.waitForFunction(
    (title) => {
      const rows = [...document.querySelectorAll('[data-ticket-number]')].filter((r) => r.textContent.includes(title))
      const badge = rows[0]?.querySelector('[data-testid="sla-badge"]')
      return badge?.getAttribute('data-tone') === 'breached' && badge.textContent.includes('overdue')
    },
    story.slaTicket.title,
    { timeout: 120000 },
  )
  expect(await page.evaluate(() => window.__slaMarker === true), 'the page was not reloaded')
  await screenshot(page, 'sla-overdue-list')
})

step('the ticket page shows both clocks with their history; phone layout', async (browser) => {
  const page = pages.agent
  await page.locator('[data-ticket-number]', { hasText: story.slaTicket.title }).getByRole('link').click()
  const panel = page.getByTestId('sla-panel')
  await panel.waitFor()
  const first = panel.locator('[data-clock="first_response"]')
  await first.getByText('overdue').waitFor()
  await panel.locator('[data-clock="resolution"]').getByText('due in').waitFor()
  await first.getByText('History').click()
  await first.getByText('Started').waitFor()
  await screenshot(page, 'sla-ticket-clocks')

  const phone = await newPage(browser, 'agent-phone', { width: 375, height: 800 })
  await signIn(phone, USERS.agent)
  await phone.goto('/tickets')
  await phone.locator('[data-ticket-number]', { hasText: story.slaTicket.title }).getByTestId('sla-badge').waitFor()
  await screenshot(phone, 'sla-list-phone')
  // Leave later stories the demo policies only (running clocks keep their targets).
  const res = await fetch(`${BASE}/api/v1/sla/policies/${story.slaPolicy.id}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${await devToken(ADMIN)}` },
  })
  expect(res.status === 204, `policy deleted (HTTP ${res.status})`)
})
