// The core story: requester, agent and approver through tickets, files, comments, approvals,
// live updates, profile and sessions (frontend/README.md lists the steps).
import { BASE, USERS, WORKFLOW, PNG, pages, expectedStatuses, expect, screenshot, newPage, waitForToast, signIn, apiAs, step, story } from '../lib.mjs'

step('requester and agent sign in; the agent watches the ticket list', async (browser) => {
  const agent = await newPage(browser, 'agent')
  await signIn(agent, USERS.agent)
  await agent.getByRole('heading', { name: 'Tickets' }).waitFor()
  await screenshot(agent, 'agent-ticket-list')

  const requester = await newPage(browser, 'requester')
  await requester.goto('/tickets')
  await requester.getByRole('heading', { name: 'Sign in to Helpdesk' }).waitFor()
  await screenshot(requester, 'sign-in')
  await requester.locator(`button[data-email="${USERS.requester}"]`).click()
  await requester.waitForURL(/\/tickets$/)
  await requester.locator('.live-dot--open').waitFor()
})

step('requester creates a ticket for the agent\'s team', async () => {
  const me = await apiAs(USERS.agent, '/api/v1/users/me')
  const team = me.teams[0]
  expect(team, 'the demo agent belongs to a team')
  const page = pages.requester
  story.title = `Printer on fire ${Date.now()}`
  await page.getByRole('link', { name: 'New ticket' }).first().click()
  await page.getByLabel('Title').fill(story.title)
  await page.getByLabel('Description').fill('The office printer on floor 2 is smoking.\n\nPlease help.')
  await page.getByLabel('Priority').selectOption('high')
  await page.getByLabel('Team').selectOption({ label: team.name })
  await screenshot(page, 'new-ticket')
  await page.getByRole('button', { name: 'Create ticket' }).click()
  await page.waitForURL(/\/tickets\/\d+$/)
  await page.getByRole('heading', { name: story.title }).waitFor()
  story.url = new URL(page.url()).pathname
  story.number = (await page.locator('.number').first().textContent()).trim()
  expect(/^HD-\d+$/.test(story.number), `ticket number looks like HD-n (got ${story.number})`)
})

step('requester drops a file on the ticket and the progress bar reaches 100 %', async () => {
  const page = pages.requester
  // A real drop event carrying a File, as a desktop drag-and-drop delivers it.
  const dataTransfer = await page.evaluateHandle((base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
    const transfer = new DataTransfer()
    transfer.items.add(new File([bytes], 'smoke.png', { type: 'image/png' }))
    return transfer
  }, PNG.toString('base64'))
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer })
  const upload = page.getByTestId('upload').filter({ hasText: 'smoke.png' })
  await upload.getByTestId('upload-done').waitFor()
  expect((await upload.locator('progress').getAttribute('value')) === '100', 'progress bar at 100')
  await page.getByTestId('attachments').getByRole('button', { name: 'Download smoke.png' }).waitFor()
  await screenshot(page, 'ticket-detail-requester-upload')
})

step('a file of a refused type is stopped before upload, with the reason', async () => {
  const page = pages.requester
  let declared = 0
  const count = (req) => {
    if (req.method() === 'POST' && /\/attachments$/.test(new URL(req.url()).pathname)) declared += 1
  }
  page.on('request', count)
  await page.getByTestId('file-input').setInputFiles({ name: 'tool.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') })
  await page.getByRole('alert').filter({ hasText: 'tool.exe' }).waitFor()
  page.off('request', count)
  expect(declared === 0, 'no upload was started for the refused file')
})

step('the agent sees the new ticket appear in the list without reloading', async () => {
  const page = pages.agent
  const row = page.locator(`[data-ticket-number="${story.number}"]`)
  await row.waitFor()
  expect((await row.textContent()).includes(story.title), 'the live row shows the title')
  await screenshot(page, 'agent-list-live-row')
  await row.getByRole('link', { name: story.title }).click()
  await page.waitForURL(new RegExp(`${story.url}$`))
  await page.getByRole('heading', { name: story.title }).waitFor()
})

step('the agent downloads the requester\'s file intact', async () => {
  const page = pages.agent
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('attachments').getByRole('button', { name: 'Download smoke.png' }).click(),
  ])
  expect(download.suggestedFilename() === 'smoke.png', `file name kept (got ${download.suggestedFilename()})`)
  const chunks = []
  for await (const chunk of await download.createReadStream()) chunks.push(chunk)
  expect(Buffer.concat(chunks).equals(PNG), 'downloaded bytes equal the uploaded ones')
})

step('the agent adds an internal note and a public reply', async () => {
  const page = pages.agent
  story.note = `Internal: vendor contract expired ${Date.now()}`
  story.reply = `We are sending someone now ${Date.now()}`
  const composer = page.getByRole('form', { name: 'Add a comment' })
  await composer.getByTestId('internal-toggle').check()
  await composer.getByRole('combobox').fill(story.note)
  await composer.getByRole('button', { name: 'Add internal note' }).click()
  await page.getByTestId('internal-note').filter({ hasText: story.note }).waitFor()
  // The composer resets once the server confirmed the note (the note may arrive live first).
  await composer.getByRole('button', { name: 'Comment' }).waitFor()
  expect(!(await composer.getByTestId('internal-toggle').isChecked()), 'the internal toggle resets after posting')

  // Public reply with an @mention chosen from the picker by keyboard.
  const box = composer.getByRole('combobox')
  await box.fill(story.reply)
  await box.pressSequentially(' cc @rita')
  await page.getByRole('option', { name: /Rita Requester/ }).waitFor()
  await box.press('Enter')
  const body = await box.inputValue()
  expect(body.endsWith(`@${USERS.requester} `), `the picker inserted the mention (got "${body}")`)
  await composer.getByRole('button', { name: 'Comment' }).click()
  await page.getByTestId('comment').filter({ hasText: story.reply }).waitFor()
  await screenshot(page, 'agent-ticket-detail-comments')
})

step('the agent assigns the ticket to themself and watches it; the requester is told', async () => {
  const page = pages.agent
  await page.getByLabel('Assignee').selectOption({ label: 'Alan Agent' })
  await waitForToast(page, 'Assigned')
  await page.getByRole('button', { name: 'Watch', exact: true }).click()
  await page.getByRole('region', { name: 'Watchers' }).getByRole('listitem').filter({ hasText: 'Alan Agent' }).waitFor()
  await page.getByRole('button', { name: 'Stop watching' }).waitFor()
  // The requester's open page shows it live; no toast for what the screen already shows.
  await pages.requester.locator('.fields dt:text-is("Assignee") + dd').filter({ hasText: 'Alan Agent' }).waitFor()
})

step('the agent starts the approval', async () => {
  const page = pages.agent
  await page.getByLabel('Approval workflow').selectOption({ label: WORKFLOW })
  await page.getByRole('button', { name: 'Request approval' }).click()
  await page.getByTestId('approval-state').filter({ hasText: 'Pending' }).waitFor()
  await page.getByTestId('ticket-status').filter({ hasText: 'Pending approval' }).waitFor()
})

step('the requester\'s open page shows the public reply live, never the internal note', async () => {
  const page = pages.requester
  await page.getByTestId('comment').filter({ hasText: story.reply }).waitFor()
  // The mention reaches the bell (no toast: the page shows the comment already).
  await page.getByTestId('notification-count').waitFor()
  await page.getByTestId('notification-bell').click()
  await page
    .getByTestId('notification-item')
    .filter({ hasText: `Alan Agent mentioned you in a comment on ${story.number}` })
    .waitFor()
  await page.keyboard.press('Escape')
  await page.getByTestId('notification-panel').waitFor({ state: 'detached' })
  await page.getByTestId('ticket-status').filter({ hasText: 'Pending approval' }).waitFor()
  expect((await page.getByTestId('internal-note').count()) === 0, 'requester sees no internal note')
  expect(!(await page.content()).includes(story.note), 'the internal note text is nowhere on the requester page')
})

step('the approver approves from the inbox', async (browser) => {
  const page = await newPage(browser, 'approver')
  await signIn(page, USERS.approver)
  await page.getByRole('link', { name: /Approvals/ }).click()
  const item = page.locator(`[data-approval-ticket="${story.number}"]`)
  await item.waitFor()
  await screenshot(page, 'approvals-inbox')
  await item.getByLabel(/^Comment/).fill('Approved, go ahead.')
  await item.getByRole('button', { name: 'Approve' }).click()
  await item.waitFor({ state: 'detached' })
  await waitForToast(page, `${story.number} approved`)
})

step('a new request appears in the open inbox live; rejecting needs a reason', async () => {
  const page = pages.approver
  await page.getByRole('heading', { name: 'Approvals' }).waitFor()
  const ticket = await apiAs(USERS.requester, '/api/v1/tickets', {
    method: 'POST',
    body: { title: `New laptop ${Date.now()}`, description: 'Mine is 8 years old.', priority: 'normal', type: 'service_request' },
  })
  const workflows = await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}/approval-workflows`)
  const workflow = workflows.find((w) => w.name === WORKFLOW)
  expect(workflow, `the "${WORKFLOW}" workflow exists`)
  await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}/approvals`, { method: 'POST', body: { workflow_id: workflow.id } })
  const item = page.locator(`[data-approval-ticket="${ticket.number}"]`)
  await item.waitFor()
  await item.getByRole('button', { name: 'Reject' }).click()
  await item.getByText('Say why you reject it.').waitFor()
  await item.getByLabel(/^Comment/).fill('Not in this year\'s budget.')
  await item.getByRole('button', { name: 'Reject' }).click()
  await item.waitFor({ state: 'detached' })
  // The item leaves the inbox optimistically; the toast comes once the server agreed.
  await waitForToast(page, `${ticket.number} rejected`)
  const after = await apiAs(USERS.requester, `/api/v1/tickets/${ticket.id}`)
  expect(after.status === 'rejected', `the ticket is rejected (got ${after.status})`)
})

step('the requester sees the status change live, still without the internal note', async () => {
  const page = pages.requester
  await page.getByTestId('ticket-status').filter({ hasText: /^Approved$/ }).waitFor()
  await page.getByTestId('approval-state').filter({ hasText: 'Approved' }).waitFor()
  expect((await page.getByTestId('internal-note').count()) === 0, 'still no internal note')
  expect(!(await page.content()).includes(story.note), 'the internal note text never reached the requester')
  await screenshot(page, 'requester-approved-live')
})

step("a requester's new-ticket form has no tags or due-date field (the server's create_ticket_fields)", async () => {
  const page = pages.requester
  await page.goto('/tickets/new')
  await page.getByLabel('Title').waitFor()
  const me = await apiAs(USERS.requester, '/api/v1/users/me')
  expect(!me.permissions.create_ticket_fields.includes('tags'), 'the server lets no requester set tags')
  expect((await page.locator('#t-tags').count()) === 0, 'no tags field for a requester')
  expect((await page.getByLabel('Tags').count()) === 0, 'no field labelled Tags')
  expect(await page.getByLabel('Team').isVisible(), 'the fields the server allows are there')
})

step('a 422 on the new-ticket form shows the field message in place', async () => {
  const page = pages.agent
  expectedStatuses.add(422)
  await page.goto('/tickets/new')
  await page.getByLabel('Title').fill('Tags with a typo')
  await page.getByLabel('Tags').fill('Not A Valid Tag!')
  await page.getByRole('button', { name: 'Create ticket' }).click()
  const tags = page.getByLabel('Tags')
  await page.locator('#t-tags[aria-invalid="true"]').waitFor()
  const message = (await page.locator('#t-tags-error').textContent()).trim()
  expect(message.length > 0, 'the tags field shows the server message')
  expect((await tags.getAttribute('aria-describedby')).includes('t-tags-error'), 'message is tied to the field')
  expect(new URL(page.url()).pathname === '/tickets/new', 'still on the form')
  await screenshot(page, 'new-ticket-422')
  expectedStatuses.delete(422)
})

step('phone-sized screens render (375 px)', async (browser) => {
  const page = await newPage(browser, 'phone', { width: 375, height: 812 })
  await signIn(page, USERS.agent)
  await page.locator('[data-ticket-number]').first().waitFor()
  expect(!(await page.getByLabel('Priority').isVisible()), 'filters start folded on a phone')
  await screenshot(page, 'phone-ticket-list')
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  expect(width <= 375, `no horizontal scrolling on the list (scrollWidth ${width})`)
  await page.goto(story.url)
  await page.getByRole('heading', { name: story.title }).waitFor()
  await page.getByTestId('comment').filter({ hasText: story.reply }).waitFor()
  await screenshot(page, 'phone-ticket-detail')
  const detailWidth = await page.evaluate(() => document.documentElement.scrollWidth)
  expect(detailWidth <= 375, `no horizontal scrolling on the detail (scrollWidth ${detailWidth})`)
})

step('an edit based on a stale version gets a 409, keeps the draft, and saves on the second try', async () => {
  const page = pages.agent
  expectedStatuses.add(409)
  await page.goto(story.url)
  await page.getByRole('heading', { name: story.title }).waitFor()
  await page.getByRole('button', { name: 'Edit ticket' }).click()
  const form = page.getByRole('form', { name: 'Edit ticket' })
  await form.getByLabel('Priority').selectOption('urgent')
  // Someone else changes the ticket meanwhile (through the API, as a script would).
  const id = Number(story.url.split('/').pop())
  const current = await apiAs(USERS.agent, `/api/v1/tickets/${id}`)
  await apiAs(USERS.agent, `/api/v1/tickets/${id}`, {
    method: 'PATCH',
    body: { version: current.version, description: `${current.description}\n\nUpdated by a script.` },
  })
  await form.getByRole('button', { name: 'Save' }).click()
  await form.getByRole('alert').filter({ hasText: 'Someone changed this ticket' }).waitFor()
  expect((await form.getByLabel('Priority').inputValue()) === 'urgent', 'the draft survives the conflict')
  await screenshot(page, 'ticket-edit-conflict')
  await form.getByRole('button', { name: 'Save' }).click()
  await form.waitFor({ state: 'detached' })
  await page.getByTestId('description').filter({ hasText: 'Updated by a script.' }).waitFor()
  await page.locator('.badge--priority-urgent').first().waitFor()
  expectedStatuses.delete(409)
})

step('the agent filters and searches the list (debounced, kept in the URL)', async () => {
  const page = pages.agent
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tickets' }).click()
  await page.getByRole('heading', { name: 'Tickets' }).waitFor()
  await page.getByLabel('Search').pressSequentially(story.title.split(' ').pop())
  await page.waitForURL(/[?&]q=/)
  await page.locator(`[data-ticket-number="${story.number}"]`).waitFor()
  await page.waitForFunction(() => document.querySelectorAll('[data-ticket-number]').length === 1)
  // The staff queue table folds the filters into its toolbar; unfold them to pick statuses.
  const more = page.locator('details.more-filters')
  if (!(await more.evaluate((d) => d.open))) await more.locator('summary').click()
  await page.getByLabel('Approved').check()
  await page.waitForURL(/status=approved/)
  await page.locator(`[data-ticket-number="${story.number}"]`).waitFor()
  await page.getByLabel('Rejected').check()
  await page.getByLabel('Approved').uncheck()
  await page.getByText('No tickets match these filters.').waitFor()
  await screenshot(page, 'agent-list-empty-filtered')
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.waitForURL(/\/tickets$/)
  await page.locator(`[data-ticket-number="${story.number}"]`).waitFor()
})

step('the list loads further cursor pages as you scroll', async (browser) => {
  const email = 'requester2@example.com'
  const stamp = Date.now()
  for (let i = 0; i < 30; i += 1) {
    await apiAs(email, '/api/v1/tickets', { method: 'POST', body: { title: `Bulk ${stamp} #${i}`, description: '', priority: 'low', type: 'question' } })
  }
  const page = await newPage(browser, 'requester2')
  await signIn(page, email)
  const rows = page.locator('[data-ticket-number]')
  await rows.nth(24).waitFor()
  const firstPage = await rows.count()
  expect(firstPage < 30, `the first page is a page, not everything (got ${firstPage})`)
  await rows.last().scrollIntoViewIfNeeded()
  await page.getByText(`Bulk ${stamp} #0`, { exact: true }).waitFor()
  expect((await rows.count()) > firstPage, 'the next page was appended')
  await page.context().close()
  delete pages.requester2
})

step('after losing the connection the agent\'s page catches up with what it missed', async (browser) => {
  // The socket goes through a route the test controls, so it can cut it like a network drop.
  const page = await newPage(browser, 'agent-flaky')
  let down = false
  let current = null
  await page.routeWebSocket(/\/ws\/v1\/events$/, (ws) => {
    if (down) {
      ws.close({ code: 1012, reason: 'service restart' })
      return
    }
    ws.connectToServer()
    current = ws
  })
  await signIn(page, USERS.agent)
  await page.goto(story.url)
  await page.getByRole('heading', { name: story.title }).waitFor()
  await page.locator('.live-dot--open').waitFor()
  down = true
  await current.close({ code: 1012, reason: 'service restart' })
  await page.locator('.live-dot--reconnecting').waitFor()

  story.missed = `Sent while you were offline ${Date.now()}`
  const requester = pages.requester
  await requester.goto(story.url)
  const composer = requester.getByRole('form', { name: 'Add a comment' })
  await composer.getByRole('combobox').fill(story.missed)
  await composer.getByRole('button', { name: 'Comment' }).click()
  await requester.getByTestId('comment').filter({ hasText: story.missed }).waitFor()
  expect((await page.getByTestId('comment').filter({ hasText: story.missed }).count()) === 0, 'not delivered while down')

  down = false
  await page.locator('.live-dot--open').waitFor({ timeout: 40_000 })
  await page.getByTestId('comment').filter({ hasText: story.missed }).waitFor()
  await page.context().close()
  delete pages['agent-flaky']
})

step('profile: an API token is shown once, listed, and revoked', async () => {
  const page = pages.agent
  await page.getByRole('link', { name: 'Profile' }).click()
  await page.getByRole('heading', { name: 'API tokens' }).waitFor()
  const name = `e2e script ${Date.now()}`
  await page.getByLabel('Token name').fill(name)
  await page.getByRole('button', { name: 'Create token' }).click()
  const secret = (await page.getByTestId('token-secret').textContent()).trim()
  expect(secret.length >= 20, 'a secret is shown')
  const res = await fetch(`${BASE}/api/v1/users/me`, { headers: { Authorization: `Bearer ${secret}` } })
  expect(res.ok, `the new token works for scripts (HTTP ${res.status})`)
  await screenshot(page, 'profile-token-created')
  await page.getByRole('button', { name: 'Done' }).click()
  expect((await page.getByTestId('token-secret').count()) === 0, 'the secret is gone once dismissed')
  const row = page.getByRole('row').filter({ hasText: name })
  page.once('dialog', (dialog) => dialog.accept())
  await row.getByRole('button', { name: 'Revoke' }).click()
  await row.getByText('revoked').waitFor()
  const after = await fetch(`${BASE}/api/v1/users/me`, { headers: { Authorization: `Bearer ${secret}` } })
  expect(after.status === 401, `the revoked token is refused (HTTP ${after.status})`)
})

step('profile: the approver delegates approvals for a period, sees it listed, removes it', async (browser) => {
  const page = await newPage(browser, 'approver-profile')
  await signIn(page, USERS.approver)
  await page.getByRole('link', { name: 'Profile' }).click()
  await page.getByRole('heading', { name: 'Delegations' }).waitFor()
  await page.getByLabel('Find a person').fill('Anna')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByLabel('Delegate', { exact: true }).locator('option', { hasText: 'Anna Agent' }).waitFor({ state: 'attached' })
  await page.getByLabel('Delegate', { exact: true }).selectOption({ label: 'Anna Agent (agent2@example.com)' })
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16)
  await page.getByLabel('From', { exact: true }).fill(local(new Date(Date.now() - 60_000)))
  await page.getByLabel('Until', { exact: true }).fill(local(new Date(Date.now() + 86_400_000)))
  await page.getByLabel('Note (optional)').fill('On leave')
  await page.getByRole('button', { name: 'Delegate', exact: true }).click()
  const entry = page.getByRole('listitem').filter({ hasText: 'Anna Agent' }).filter({ hasText: 'On leave' })
  await entry.waitFor()
  await screenshot(page, 'profile-delegation')
  await entry.getByRole('button', { name: 'Remove' }).click()
  await entry.waitFor({ state: 'detached' })
  await page.context().close()
  delete pages['approver-profile']
})

step('admins get a link to the Django admin; signing out ends the session', async (browser) => {
  const page = await newPage(browser, 'admin')
  await signIn(page, 'admin@example.com')
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })
  expect((await link.getAttribute('href')) === '/admin/', 'the admin link points at /admin/')
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL(/\/sign-in$/)
  await page.goto('/profile')
  await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/profile')
  await page.context().close()
  delete pages.admin
})

step('an expired session returns to sign-in and then to the same page', async () => {
  const page = pages.requester
  expectedStatuses.add(401)
  await page.goto(story.url)
  await page.getByRole('heading', { name: story.title }).waitFor()
  // A token that looks valid for an hour but that the server rejects, as a revoked session.
  await page.evaluate((email) => {
    const b64 = (v) => btoa(JSON.stringify(v)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    const token = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 3600 })}.bad`
    localStorage.setItem('helpdesk.devSession', JSON.stringify({ email, token }))
  }, USERS.requester)
  await page.reload()
  await page.waitForURL(/\/sign-in\?next=/)
  await page.getByRole('alert').filter({ hasText: 'Your session has ended' }).waitFor()
  expect(decodeURIComponent(new URL(page.url()).searchParams.get('next')) === story.url, 'remembers the page')
  await page.locator(`button[data-email="${USERS.requester}"]`).click()
  await page.waitForURL(new RegExp(`${story.url}$`))
  await page.getByRole('heading', { name: story.title }).waitFor()
  expectedStatuses.delete(401)
})
