import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setAuthHooks } from '@/api/client'
import type { Comment, Ticket } from '@/api/models'
import { routeLiveEvents } from '@/live/routeEvents'
import type { EventFrame } from '@/live/socket'
import { useAuthStore } from '@/stores/auth'
import { useCommentsStore } from '@/stores/comments'
import { usePeopleStore } from '@/stores/people'
import { emptyFilters, useTicketsStore } from '@/stores/tickets'
import { useToastStore } from '@/stores/toasts'
import { useNotificationPanel } from '@/composables/useNotificationPanel'
import { useNotificationsStore } from '@/stores/notifications'
import { json } from './helpers'

// What the current screen is, for the toast rule; the app's router would load every view.
const route = vi.hoisted(() => ({ value: { name: 'tickets' as string, params: {} as Record<string, string> } }))
vi.mock('@/router', () => ({ router: { currentRoute: route } }))

const ME = { id: 1, email: 'me@example.com', name: 'Me', username: 'me', role: 'agent' }
const RITA = { id: 2, email: 'rita@example.com', name: 'Rita', username: 'rita', role: 'requester' }

const ticket = (id: number, over: Partial<Ticket> = {}): Ticket =>
  ({ id, number: `HD-${id}`, title: 't', status: 'new', priority: 'normal', type: 'incident', requester: RITA, assignee: null, team: null, tags: [], due_at: null, created_at: '', updated_at: '', version: 1, ...over }) as Ticket

function harness() {
  let listener: (f: EventFrame) => void = () => undefined
  let reconnect: () => void = () => undefined
  routeLiveEvents({
    onEvent: (l) => ((listener = l), () => undefined),
    onReconnect: (l) => ((reconnect = l), () => undefined),
  })
  const send = (event: string, data: Record<string, unknown>, topic = 'tickets') =>
    listener({ type: 'event', topic, event, data })
  return { send, reconnect: () => reconnect() }
}

const fetchMock = vi.fn<(r: Request) => Promise<Response>>()

beforeEach(() => {
  route.value = { name: 'tickets', params: {} }
  useNotificationPanel().open.value = false
  setActivePinia(createPinia())
  useAuthStore().user = {
    ...ME, teams: [], is_staff: false,
    permissions: { create_ticket_fields: ['title', 'description'], view_reports: false, admin_site: false },
  }
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  setAuthHooks({ getToken: async () => 't', onUnauthorized: () => undefined })
})
afterEach(() => vi.unstubAllGlobals())

describe('routeLiveEvents', () => {
  it('inserts a created ticket into a loaded list once across topics, without a toast (the list shows it)', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [ticket(1)], next_cursor: null }))
    const tickets = useTicketsStore()
    await tickets.fetchList(emptyFilters())
    const { send } = harness()
    usePeopleStore().remember(RITA)
    const data = { ticket: ticket(2), actor_id: RITA.id }
    send('ticket.created', data, 'tickets')
    send('ticket.created', data, 'ticket:2')
    expect(tickets.list.ids).toEqual([2, 1])
    expect(useToastStore().toasts).toEqual([])
  })

  it('does not toast my own changes but still applies them', () => {
    const { send } = harness()
    send('ticket.transitioned', { ticket: ticket(3, { status: 'open' }), actor_id: ME.id })
    expect(useTicketsStore().byId[3]?.status).toBe('open')
    expect(useToastStore().toasts).toEqual([])
  })

  const notification = (id: number, ticketId: number, message: string) => ({
    id,
    kind: 'comment_added',
    ticket: { id: ticketId, number: `HD-${ticketId}`, title: 't' },
    actor: RITA,
    message,
    created_at: '2026-01-01T00:00:00Z',
    read_at: null,
  })

  it('puts a new notification in the centre once and toasts it when the screen shows something else', () => {
    const { send } = harness()
    const store = useNotificationsStore()
    send('notification.created', notification(11, 7, 'Rita commented on HD-7'), 'user:1')
    send('notification.created', notification(11, 7, 'Rita commented on HD-7'), 'user:1')
    expect(store.items.map((n) => n.id)).toEqual([11])
    expect(store.unreadCount).toBe(1)
    expect(useToastStore().toasts.map((t) => t.message)).toEqual(['Rita commented on HD-7'])
  })

  it('does not toast what the screen already shows: the open ticket, or the open panel', () => {
    const { send } = harness()
    route.value = { name: 'ticket', params: { id: '7' } }
    send('notification.created', notification(12, 7, 'On the open ticket'), 'user:1')
    route.value = { name: 'tickets', params: {} }
    useNotificationPanel().open.value = true
    send('notification.created', notification(13, 8, 'While the panel is open'), 'user:1')
    expect(useNotificationsStore().unreadCount).toBe(2)
    expect(useToastStore().toasts).toEqual([])
  })

  it('shows at most three toasts, the newest', () => {
    const { send } = harness()
    for (const id of [21, 22, 23, 24]) send('notification.created', notification(id, id, `N${id}`), 'user:1')
    expect(useToastStore().toasts.map((t) => t.message)).toEqual(['N22', 'N23', 'N24'])
  })

  it('applies notification.read from another tab', () => {
    const { send } = harness()
    send('notification.created', notification(31, 7, 'a'), 'user:1')
    send('notification.created', notification(32, 7, 'b'), 'user:1')
    send('notification.read', { ids: [31], unread_count: 1 }, 'user:1')
    const store = useNotificationsStore()
    expect(store.byId[31]?.read_at).not.toBeNull()
    expect(store.byId[32]?.read_at).toBeNull()
    expect(store.unreadCount).toBe(1)
  })

  it('does not toast ticket changes by others: the screens show them live', () => {
    const { send } = harness()
    send('ticket.transitioned', { ticket: ticket(3, { status: 'in_progress' }), actor_id: null })
    send('approval.decided', { approval: { id: 1, ticket_id: 3 }, decision: { decision: 'approve' }, actor_id: 42 }, 'ticket:3')
    expect(useTicketsStore().byId[3]?.status).toBe('in_progress')
    expect(useToastStore().toasts).toEqual([])
  })

  it('adds live comments to the thread without a toast', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [], next_cursor: null }))
    const comments = useCommentsStore()
    await comments.fetchForTicket(4)
    useTicketsStore().upsert(ticket(4))
    const { send } = harness()
    const note = { id: 9, ticket_id: 4, author: RITA, body: 'x', body_html: '<p>x</p>', internal: true, parent_id: null, created_at: '', edited_at: null, deleted: false, attachments: [] } as Comment
    send('comment.created', { comment: note, ticket_id: 4, actor_id: RITA.id }, 'ticket:4')
    expect(comments.thread(4).map((t) => t.comment.id)).toEqual([9])
    expect(useToastStore().toasts).toEqual([])
  })

  it('refetches the open ticket after an approval decision', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const tickets = useTicketsStore()
    fetchMock.mockImplementation(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/tickets/5') return json({ ...ticket(5), description: '', watchers: [], allowed_transitions: [], approval: null, resolved_at: null, closed_at: null })
      if (path === '/api/v1/tickets/5/events') return json({ items: [], next_cursor: null })
      return json({ items: [], next_cursor: null })
    })
    await tickets.fetchDetail(5)
    fetchMock.mockClear()
    const { send } = harness()
    send('approval.decided', { approval: { id: 1, ticket_id: 5 }, decision: { decision: 'approve' }, actor_id: 7 }, 'ticket:5')
    send('ticket.transitioned', { ticket: ticket(5, { status: 'approved' }), actor_id: 7 }, 'ticket:5')
    await vi.advanceTimersByTimeAsync(200)
    const paths = fetchMock.mock.calls.map((c) => new URL(c[0].url).pathname)
    expect(paths.filter((p) => p === '/api/v1/tickets/5')).toHaveLength(1)
    expect(paths).toContain('/api/v1/approvals')
    vi.useRealTimers()
  })

  it('reloads the list, the inbox and the notifications after a reconnect', async () => {
    fetchMock.mockImplementation(async () => json({ items: [], next_cursor: null, unread_count: 0 }))
    await useTicketsStore().fetchList(emptyFilters())
    fetchMock.mockClear()
    harness().reconnect()
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(3))
    const paths = fetchMock.mock.calls.map((c) => new URL(c[0].url).pathname).sort()
    expect(paths).toEqual(['/api/v1/approvals', '/api/v1/notifications', '/api/v1/tickets'])
  })
})
