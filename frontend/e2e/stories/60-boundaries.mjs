// Boundaries the server draws and the browser keeps (issue 10 items 3 and 7): the CSP recorder
// really catches a violation; the Django admin works under the app's Content-Security-Policy; an
// agent outside a ticket's team gets no edit control on it.
import { USERS, consoleErrors, cspViolations, expect, newPage, pages, screenshot, signIn, apiAs, step, story } from '../lib.mjs'

step('the CSP recorder catches a refused inline script (so "no violation" means something)', async (browser) => {
  const page = await newPage(browser, 'csp-probe')
  await page.goto('/sign-in')
  await page.getByRole('heading', { name: /sign in/i }).first().waitFor()
  const before = cspViolations.length
  await page.evaluate(() => {
    const script = document.createElement('script')
    script.textContent = 'window.__inlineRan = true'
    document.head.append(script)
  })
  await page.waitForFunction(() => window.__cspViolations.length > 0)
  expect(!(await page.evaluate(() => window.__inlineRan === true)), 'the inline script did not run')
  const caught = cspViolations.slice(before)
  expect(caught.some((v) => v.includes('script-src')), `the violation is recorded: ${caught.join(' | ')}`)
  // Provoked on purpose: not a finding (Chromium's console report of it included).
  cspViolations.splice(before)
  for (let i = consoleErrors.length - 1; i >= 0; i -= 1) if (consoleErrors[i].startsWith('[csp-probe]')) consoleErrors.splice(i, 1)
  await page.context().close()
  delete pages['csp-probe']
})

step('the Django admin works under the CSP: sign in, lists, a change form, an add form', async (browser) => {
  const page = await newPage(browser, 'django-admin')
  await page.goto('/admin/login/')
  await page.locator('#id_username').fill('admin')
  await page.locator('#id_password').fill('admin')
  await page.locator('input[type="submit"]').click()
  await page.waitForURL(/\/admin\/$/)
  await page.getByRole('link', { name: 'Log out' }).or(page.getByRole('button', { name: 'Log out' })).first().waitFor()
  await page.goto('/admin/tickets/ticket/')
  await page.locator('#result_list').waitFor()
  await page.locator('#result_list tbody a').first().click()
  await page.locator('form#ticket_form').waitFor()
  await page.goto('/admin/accounts/user/add/')
  await page.locator('#user_form').waitFor()
  expect(
    cspViolations.filter((v) => v.startsWith('[django-admin]')).length === 0,
    `no violation in the admin: ${cspViolations.join(' | ')}`,
  )
  await page.context().close()
  delete pages['django-admin']
})

step("an agent outside a ticket's team sees it (as a watcher) but gets no edit control", async (browser) => {
  const agent = await apiAs(USERS.agent, '/api/v1/users/me')
  const teams = await apiAs('admin@example.com', '/api/v1/teams')
  const other = teams.find((t) => t.name === 'Facilities')
  expect(other && !agent.teams.some((t) => t.id === other.id), 'the demo agent is not in Facilities')
  const ticket = await apiAs(USERS.requester, '/api/v1/tickets', {
    method: 'POST',
    body: { title: `Badge reader broken ${Date.now()}`, description: 'At the main door.', team_id: agent.teams[0].id },
  })
  await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}/watch`, { method: 'POST' })
  const page = await newPage(browser, 'agent-outside')
  await signIn(page, USERS.agent)
  await page.goto(`/tickets/${ticket.id}`)
  await page.getByRole('heading', { name: ticket.title }).waitFor()
  // In the agent's own team: the control is there (so its absence below is the rule, not a bug).
  await page.getByRole('button', { name: 'Edit ticket' }).waitFor()
  const current = await apiAs('admin@example.com', `/api/v1/tickets/${ticket.id}`)
  await apiAs('admin@example.com', `/api/v1/tickets/${ticket.id}`, {
    method: 'PATCH',
    body: { version: current.version, team_id: other.id },
  })
  await page.reload()
  await page.getByRole('heading', { name: ticket.title }).waitFor()
  await page.getByTestId('comment-form').or(page.locator('.composer')).first().waitFor()
  const seen = await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}`)
  expect(seen.team?.id === other.id || seen.team_id === other.id, 'the ticket now belongs to Facilities')
  expect(!seen.permissions.edit && !seen.permissions.assign, 'the server gives the agent no edit or assign flag')
  expect((await page.getByRole('button', { name: 'Edit ticket' }).count()) === 0, 'no edit button')
  for (const id of ['#t-assignee', '#t-priority', '#t-team', '#t-tags']) {
    expect((await page.locator(id).count()) === 0, `no ${id} control`)
  }
  await screenshot(page, 'ticket-other-team-agent')
  story.otherTeamTicket = ticket.id
  await page.context().close()
  delete pages['agent-outside']
})
