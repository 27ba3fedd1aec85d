// The ticket page as agents work it: a macro picked from the composer replies and acts in one step,
// the one timeline filters between conversation and activity (which names people and values), and
// on a phone the status and assignee come before the timeline, with the navigation behind a menu.
import { USERS, pages, expect, screenshot, newPage, signIn, apiAs, step, story, waitForToast } from '../lib.mjs'

step('a requester raises a ticket for the service desk', async () => {
  const agent = await apiAs(USERS.agent, '/api/v1/users/me')
  story.pageAgent = agent
  story.pageTicket = await apiAs(USERS.requester, '/api/v1/tickets', {
    method: 'POST',
    body: { title: `Monitor flickers ${Date.now()}`, description: 'Since this morning.', team_id: agent.teams[0].id },
  })
})

step('the agent applies a macro from the composer: reply, assign to me and set status in one step', async (browser) => {
  let page = pages.agent
  if (!page) {
    page = await newPage(browser, 'agent')
    await signIn(page, USERS.agent)
  }
  await page.goto(`/tickets/${story.pageTicket.id}`)
  await page.getByRole('heading', { name: 'Timeline' }).waitFor()
  await page.getByTestId('macro-button').click()
  await page.getByTestId('macro-search').fill('taking')
  const option = page.locator('.macro-option', { hasText: 'Taking this' })
  await option.waitFor()
  expect((await page.locator('.macro-option').count()) === 1, 'the search narrows the list to the one macro')
  await screenshot(page, 'ticket-macro-picker')
  await option.click()
  const chosen = page.getByTestId('macro-chosen')
  await chosen.waitFor()
  expect((await chosen.textContent()).includes('Set status to In progress'), 'the composer says what sending also does')
  const body = await page.locator('.composer textarea').last().inputValue()
  expect(body === "Hi Rita, I'm Alan and I'm looking into this now.", `placeholders filled (got ${body})`)
  await page.getByRole('button', { name: 'Send and apply' }).click()
  await waitForToast(page, 'Macro “Taking this” applied')
  await page.locator('.badge--status-in_progress').first().waitFor()
  await page.locator('.activity-row', { hasText: 'assigned to Alan Agent' }).waitFor()
  await page.locator('.activity-row', { hasText: 'applied the macro “Taking this”' }).waitFor()
  const ticket = await apiAs(USERS.agent, `/api/v1/tickets/${story.pageTicket.id}`)
  expect(ticket.status === 'in_progress' && ticket.assignee?.id === story.pageAgent.id, 'the server made both changes')
  await screenshot(page, 'ticket-timeline')
})

step("triage from the ticket page: the server's flags decide which controls each person gets", async (browser) => {
  const page = pages.agent
  await page.locator('#t-priority').selectOption('high')
  await waitForToast(page, 'Priority changed')
  await page.locator('#t-tags').fill('display, hardware')
  await page.locator('#t-tags').press('Enter')
  await waitForToast(page, 'Tags saved')
  await page.locator('.activity-row', { hasText: 'priority normal → high' }).waitFor()
  const ticket = await apiAs(USERS.agent, `/api/v1/tickets/${story.pageTicket.id}`)
  expect(ticket.priority === 'high' && ticket.tags.join(',') === 'display,hardware', 'priority and tags saved')
  for (const id of ['#t-assignee', '#t-type', '#t-team', '#t-due']) {
    expect(await page.locator(id).isVisible(), `the agent gets ${id}`)
  }
  await screenshot(page, 'ticket-triage')
  // The requester may change none of the triage fields: no control at all, only the values.
  const requester = await newPage(browser, 'requester-ticketpage')
  await signIn(requester, USERS.requester)
  await requester.goto(`/tickets/${story.pageTicket.id}`)
  await requester.getByRole('heading', { name: 'Timeline' }).waitFor()
  for (const id of ['#t-assignee', '#t-priority', '#t-type', '#t-team', '#t-tags', '#t-due']) {
    expect(!(await requester.locator(id).count()), `the requester gets no ${id}`)
  }
  expect(!(await requester.getByTestId('assign-to-me').count()), 'no "Assign to me" for the requester')
})

step('the timeline filter shows the conversation or the activity alone', async () => {
  const page = pages.agent
  const stream = page.getByRole('list', { name: 'Timeline entries' })
  await page.getByTestId('timeline-filter').getByText('Activity', { exact: true }).click()
  await page.waitForFunction(() => !document.querySelector('.stream .comment'))
  expect((await stream.locator('.activity-row').count()) >= 3, 'activity rows remain')
  expect(!(await page.locator('.composer').count()), 'no composer among activity')
  await page.getByTestId('timeline-filter').getByText('Conversation', { exact: true }).click()
  await page.waitForFunction(() => !document.querySelector('.stream .activity-row'))
  expect((await stream.locator('.comment').count()) === 1, 'the reply remains')
  await page.getByTestId('timeline-filter').getByText('Everything', { exact: true }).click()
  await stream.locator('.activity-row').first().waitFor()
})

step('on a phone the ticket puts status and assignee first and folds the navigation into a menu', async (browser) => {
  const phone = await newPage(browser, 'agent-phone', { width: 390, height: 844 })
  await signIn(phone, USERS.agent)
  await phone.goto(`/tickets/${story.pageTicket.id}`)
  await phone.getByRole('heading', { name: 'Timeline' }).waitFor()
  const side = await phone.locator('.detail-side').boundingBox()
  const timeline = await phone.getByRole('heading', { name: 'Timeline' }).boundingBox()
  expect(side && timeline && side.y < timeline.y, 'the sidebar (status, assignee) comes before the timeline')
  expect(!(await phone.getByRole('navigation', { name: 'Main' }).isVisible()), 'the navigation is folded away')
  await screenshot(phone, 'ticket-phone')
  await phone.getByRole('button', { name: 'Menu' }).click()
  await phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tickets' }).waitFor()
  await screenshot(phone, 'ticket-phone-menu')
})
