// Notifications: the approver's bell shows a new request live, the panel opens the ticket and the
// count drops once read; email arrives (as .eml files in the e2e server's DATA_DIR/mail, written
// by its background worker) until the approver turns email off for that kind in their settings;
// an email's unsubscribe link leads to a confirmation page.
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { USERS, WORKFLOW, expect, newPage, pages, screenshot, signIn, apiAs, step, waitForToast } from '../lib.mjs'

const MAIL_DIR = process.env.E2E_DATA_DIR ? path.join(process.env.E2E_DATA_DIR, 'mail') : null
const local = {}

/** Every .eml the server's worker wrote: {to, subject, text} (quoted-printable soft breaks undone). */
async function mails() {
  if (!MAIL_DIR) return []
  const names = (await readdir(MAIL_DIR).catch(() => [])).filter((n) => n.endsWith('.eml'))
  return Promise.all(
    names.map(async (name) => {
      const raw = (await readFile(path.join(MAIL_DIR, name), 'utf8')).replace(/=\r?\n/g, '')
      const header = (field) => (raw.match(new RegExp(`^${field}: (.*)$`, 'mi')) ?? [])[1]?.trim() ?? ''
      return { name, to: header('To'), subject: header('Subject'), text: raw }
    }),
  )
}

async function waitForMail(predicate, what) {
  const deadline = Date.now() + 60000
  while (Date.now() < deadline) {
    const found = (await mails()).find(predicate)
    if (found) return found
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`no email ${what} within 60 s in ${MAIL_DIR}`)
}

async function unreadOf(page) {
  const label = await page.getByTestId('notification-bell').getAttribute('aria-label')
  const match = label.match(/(\d+) unread/)
  return match ? Number(match[1]) : 0
}

async function requestApproval(title) {
  const ticket = await apiAs(USERS.requester, '/api/v1/tickets', {
    method: 'POST',
    body: { title, description: 'For the new hire.', priority: 'normal', type: 'service_request' },
  })
  const workflows = await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}/approval-workflows`)
  const workflow = workflows.find((w) => w.name === WORKFLOW)
  expect(workflow, `the "${WORKFLOW}" workflow exists`)
  await apiAs(USERS.agent, `/api/v1/tickets/${ticket.id}/approvals`, { method: 'POST', body: { workflow_id: workflow.id } })
  return ticket
}

step('notifications: the approver\'s bell shows a new approval request live', async (browser) => {
  expect(MAIL_DIR, 'E2E_DATA_DIR is set (the e2e server\'s data directory)')
  const page = await newPage(browser, 'approver-bell')
  await signIn(page, USERS.approver)
  await page.getByTestId('notification-bell').waitFor()
  // The count the server has, once the bell has loaded it (reading the bell before its first page
  // arrives would see "none unread" and expect 1 where earlier requests make it more).
  const before = (await apiAs(USERS.approver, '/api/v1/notifications?limit=1')).unread_count
  await page.waitForFunction(
    (n) => (document.querySelector('[data-testid="notification-bell"]').getAttribute('aria-label').match(/(\d+) unread/)?.[1] ?? '0') === String(n),
    before,
  )
  expect((await unreadOf(page)) === before, 'the bell shows the server\'s unread count')
  local.ticket = await requestApproval(`Laptop for the new hire ${Date.now()}`)
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="notification-bell"]').getAttribute('aria-label').includes(`${n} unread`),
    before + 1,
  )
  // The list on screen doesn't show this request: a toast says so (one of at most three).
  await waitForToast(page, `asks for your approval on ${local.ticket.number}`)
  expect((await page.locator('.toast').count()) <= 3, 'at most three toasts')
  local.before = before
})

step('notifications: the panel opens the ticket and the count drops when read', async () => {
  const page = pages['approver-bell']
  await page.getByTestId('notification-bell').click()
  const panel = page.getByTestId('notification-panel')
  await panel.waitFor()
  expect(
    (await page.evaluate(() => document.activeElement?.id)) === 'notification-panel-title',
    'focus moves into the panel',
  )
  const item = panel.getByTestId('notification-item').filter({ hasText: `asks for your approval on ${local.ticket.number}` })
  await item.waitFor()
  expect((await item.getAttribute('data-unread')) === 'true', 'the new notification is unread')
  await screenshot(page, 'notification-panel')
  await item.getByRole('link').click()
  await page.waitForURL(new RegExp(`/tickets/${local.ticket.id}$`))
  await page.getByRole('heading', { name: local.ticket.title }).waitFor()
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="notification-bell"]').getAttribute('aria-label').includes(n === 0 ? 'none unread' : `${n} unread`),
    local.before,
  )
})

step('notifications: the approval request arrived by email, threaded, with one-click unsubscribe', async () => {
  const mail = await waitForMail(
    (m) => m.to === USERS.approver && m.subject.startsWith(`[${local.ticket.number}]`),
    `to ${USERS.approver} about ${local.ticket.number}`,
  )
  expect(mail.text.includes('asks for your approval on'), 'the email says what happened')
  expect(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m.test(mail.text), 'one-click unsubscribe header')
  expect(new RegExp(`^References: <ticket-${local.ticket.id}@`, 'm').test(mail.text), 'threaded per ticket')
  // The page for people (the List-Unsubscribe header's URL is the API's, for mail clients).
  local.unsubscribe = [...mail.text.matchAll(/https?:\/\/[^\s"<>]+\/unsubscribe\/[A-Za-z0-9_:-]+/g)]
    .map((m) => m[0])
    .find((url) => !url.includes('/api/'))
  expect(local.unsubscribe, 'the email links to the unsubscribe page')
})

step('notifications: email off for approval requests in the settings; no such email follows', async () => {
  const page = pages['approver-bell']
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click()
  const settings = page.getByRole('region', { name: 'Notifications' })
  const box = settings.getByRole('checkbox', { name: 'Approvals requested from me: email' })
  expect(await box.isChecked(), 'email is on by default')
  await box.uncheck()
  await settings.getByRole('status').filter({ hasText: 'Approvals requested from me: email off.' }).waitFor()
  await screenshot(page, 'notification-settings')
  const stored = await apiAs(USERS.approver, '/api/v1/users/me/notification-settings')
  expect(stored.approval_requested.email === false && stored.approval_requested.in_app === true, 'saved on the server')

  const before = await unreadOf(page)
  const second = await requestApproval(`Monitor for the new hire ${Date.now()}`)
  // Still in the app, live.
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="notification-bell"]').getAttribute('aria-label').includes(`${n} unread`),
    before + 1,
  )
  // A later email to the same person proves the worker has handled what came before it.
  await apiAs(USERS.agent, `/api/v1/tickets/${second.id}/comments`, {
    method: 'POST',
    body: { body: 'Sizing question for @approver@example.com before you decide.' },
  })
  await waitForMail(
    (m) => m.to === USERS.approver && m.subject.startsWith(`[${second.number}]`) && m.text.includes('mentioned you'),
    `mentioning ${USERS.approver} on ${second.number}`,
  )
  const approvalMails = (await mails()).filter(
    (m) => m.to === USERS.approver && m.text.includes(`asks for your approval on ${second.number}`),
  )
  expect(approvalMails.length === 0, `no approval-request email after email was turned off (found ${approvalMails.map((m) => m.name)})`)
})

step('notifications: the bell on a phone, and the unsubscribe confirmation page', async (browser) => {
  const phone = await newPage(browser, 'approver-phone', { width: 375, height: 812 })
  await signIn(phone, USERS.approver)
  await phone.getByTestId('notification-bell').click()
  await phone.getByTestId('notification-item').first().waitFor()
  await screenshot(phone, 'phone-notification-panel')
  const width = await phone.evaluate(() => document.documentElement.scrollWidth)
  expect(width <= 375, `no horizontal scrolling with the panel open (scrollWidth ${width})`)
  await phone.keyboard.press('Escape')
  expect(
    (await phone.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === 'notification-bell',
    'Escape closes the panel and returns focus to the bell',
  )

  const page = await newPage(browser, 'unsubscribe')
  await page.goto(new URL(local.unsubscribe).pathname)
  await page.getByRole('button', { name: 'Stop these emails' }).waitFor()
  await screenshot(page, 'unsubscribe-confirm')
  await page.getByRole('button', { name: 'Stop these emails' }).click()
  await page.getByTestId('unsubscribed').waitFor()
})
