// The staff queue table: an agent triages a brand-new ticket with the keyboard only (assign to me,
// open), selects a range with shift-click, bulk-assigns ten tickets through POST /tickets/bulk, and
// the table reads well at 1280x800 (25+ rows) while a phone keeps the cards.
import { USERS, pages, expect, screenshot, newPage, signIn, apiAs, step, story } from '../lib.mjs'

async function agentPage(browser) {
  if (!pages.queueAgent) {
    pages.queueAgent = await newPage(browser, 'queueAgent', { width: 1280, height: 800 })
    await signIn(pages.queueAgent, USERS.agent)
  }
  return pages.queueAgent
}

step('an agent triages a new ticket from the queue table with only the keyboard', async (browser) => {
  const agent = await apiAs(USERS.agent, '/api/v1/users/me')
  story.queueAgent = agent
  const page = await agentPage(browser)
  await page.goto('/tickets')
  await page.getByRole('table', { name: 'Ticket queue' }).waitFor()
  const ticket = await apiAs(USERS.requester, '/api/v1/tickets', {
    method: 'POST',
    body: { title: `Keyboard triage ${Date.now()}`, description: 'Laptop will not boot.', team_id: agent.teams[0].id },
  })
  // It arrives live at the top of the table, highlighted.
  const row = page.locator(`tr[data-ticket-number="${ticket.number}"]`)
  await row.waitFor()
  const started = Date.now()
  // j/k walk the rows; the cursor starts at the top, where the new ticket is.
  await page.keyboard.press('j')
  await page.keyboard.press('k')
  for (let i = 0; i < 30 && !(await row.evaluate((r) => r.classList.contains('is-cursor'))); i += 1) {
    await page.keyboard.press('j')
  }
  expect(await row.evaluate((r) => r.classList.contains('is-cursor')), 'the keyboard cursor reached the new ticket')
  await page.keyboard.press('a')
  await page.getByTestId('bulk-summary').filter({ hasText: `Assign ${ticket.number} to me: 1 done` }).waitFor()
  await row.getByText(agent.name).waitFor()
  await page.keyboard.press('Enter')
  await page.waitForURL(new RegExp(`/tickets/${ticket.id}$`))
  await page.getByRole('heading', { name: ticket.title }).waitFor()
  story.keyboardTriageMs = Date.now() - started
  console.log(`    keyboard triage (find, assign to me, open): ${story.keyboardTriageMs} ms`)
  const stored = await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}`)
  expect(stored.assignee?.id === agent.id, 'the server has the agent as assignee')
  await page.goBack()
  await page.getByRole('table', { name: 'Ticket queue' }).waitFor()
  await page.keyboard.press('?')
  await page.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor()
  await screenshot(page, 'queue-shortcuts')
  await page.keyboard.press('Escape')
  await page.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' })
})

step('the agent bulk-assigns ten tickets from the selection toolbar', async (browser) => {
  const agent = story.queueAgent
  const stamp = `qb${Date.now()}`
  for (let i = 0; i < 10; i += 1) {
    await apiAs(USERS.requester, '/api/v1/tickets', {
      method: 'POST',
      body: { title: `Badge reader ${i} ${stamp}`, description: '', team_id: agent.teams[0].id, priority: 'low' },
    })
  }
  const page = await agentPage(browser)
  await page.goto(`/tickets?q=${stamp}`)
  const rows = page.locator('tr[data-ticket-number]')
  await page.waitForFunction(() => document.querySelectorAll('tr[data-ticket-number]').length === 10)
  // Shift-click selects the range between two clicks.
  await rows.nth(1).getByRole('checkbox').click()
  await rows.nth(5).getByRole('checkbox').click({ modifiers: ['Shift'] })
  await page.getByText('5 selected').waitFor()
  await page.getByTestId('select-page').check()
  await page.getByText('10 selected').waitFor()
  await screenshot(page, 'queue-selection')
  await page.getByTestId('bulk-assign-me').click()
  await page.getByTestId('bulk-summary').filter({ hasText: 'Assign to me: 10 done.' }).waitFor()
  const mine = await apiAs(USERS.agent, `/api/v1/tickets?q=${stamp}&assignee=me&limit=50`)
  expect(mine.items.length === 10, `all ten are assigned on the server (got ${mine.items.length})`)
  // Each failure names its row and the server's reason: only an approval moves a ticket to Approved.
  await page.getByTestId('select-page').check()
  await page.getByLabel('Move to status').selectOption('approved')
  await page.getByTestId('bulk-summary').filter({ hasText: 'Move to Approved: 0 done, 10 not.' }).waitFor()
  const failures = page.getByTestId('bulk-summary').locator('li', { hasText: 'invalid_transition' })
  expect((await failures.count()) === 10, `one failure row per ticket with the server's code (got ${await failures.count()})`)
  await screenshot(page, 'queue-bulk-failures')
})

step('the queue at 1280x800 shows 25+ rows; a phone keeps the cards', async (browser) => {
  const agent = story.queueAgent
  const listed = await apiAs(USERS.agent, '/api/v1/tickets?limit=30')
  for (let i = listed.items.length; i < 30; i += 1) {
    await apiAs(USERS.requester, '/api/v1/tickets', { method: 'POST', body: { title: `Filler ${i}`, description: '', team_id: agent.teams[0].id } })
  }
  const page = await agentPage(browser)
  await page.goto('/tickets')
  await page.locator('tr[data-ticket-number]').nth(24).waitFor()
  const visible = await page.evaluate(
    () => [...document.querySelectorAll('tr[data-ticket-number]')].filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length,
  )
  console.log(`    rows visible at 1280x800: ${visible}`)
  expect(visible >= 25, `25+ rows fit the first screen (got ${visible})`)
  await page.getByRole('button', { name: /^Priority/ }).click()
  await page.waitForURL(/ordering=-priority/)
  await screenshot(page, 'queue-desktop')
  const phone = await newPage(browser, 'queuePhone', { width: 390, height: 844 })
  await signIn(phone, USERS.agent)
  await phone.goto('/tickets')
  await phone.locator('li[data-ticket-number]').first().waitFor()
  expect((await phone.locator('table').count()) === 0, 'no table on a phone')
  await screenshot(phone, 'queue-phone')
  await phone.context().close()
})
