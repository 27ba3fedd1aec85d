import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setAuthHooks } from '@/api/client'
import { ApiError } from '@/api/errors'
import type { Approval, Comment, Ticket } from '@/api/models'
import { DevSession } from '@/auth/devSession'
import { useApprovalsStore } from '@/stores/approvals'
import { useAuthStore } from '@/stores/auth'
import { useCommentsStore } from '@/stores/comments'
import { useLiveStore } from '@/stores/live'
import { emptyFilters, matchesFilters, useTicketsStore } from '@/stores/tickets'
import { fakeJwt, json, FakeWebSocket } from './helpers'

const user = (id: number, role = 'agent') => ({ id, email: `u${id}@example.com`, name: `User ${id}`, username: `u${id}`, role })

function ticket(id: number, over: Partial<Ticket> = {}): Ticket {
  return {
    id,
    number: `HD-${id}`,
    title: `Ticket ${id}`,
    status: 'new',
    priority: 'normal',
    type: 'incident',
    requester: user(100, 'requester'),
    assignee: null,
    team: null,
    tags: [],
    due_at: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    version: 1,
    ...over,
  } as Ticket
}

const fetchMock = vi.fn<(r: Request) => Promise<Response>>()

beforeEach(() => {
  setActivePinia(createPinia())
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  setAuthHooks({ getToken: async () => 't', onUnauthorized: () => undefined })
})
afterEach(() => vi.unstubAllGlobals())

function requestOf(call: number): Request {
  return fetchMock.mock.calls[call]![0]
}

describe('tickets store', () => {
  it('loads a filtered page, normalised by id, and sends the filters', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [ticket(2), ticket(1)], next_cursor: 'c2' }))
    const store = useTicketsStore()
    await store.fetchList({ ...emptyFilters(), status: ['new', 'open'], assignee: 'me', q: ' vpn ' })
    const url = new URL(requestOf(0).url)
    expect(url.searchParams.getAll('status')).toEqual(['new', 'open'])
    expect(url.searchParams.get('assignee')).toBe('me')
    expect(url.searchParams.get('q')).toBe('vpn')
    expect(store.list.ids).toEqual([2, 1])
    expect(store.byId[1]?.number).toBe('HD-1')
    expect(store.list.nextCursor).toBe('c2')
  })

  it('appends the next cursor page without duplicates and stops at the end', async () => {
    fetchMock
      .mockResolvedValueOnce(json({ items: [ticket(3), ticket(2)], next_cursor: 'c2' }))
      .mockResolvedValueOnce(json({ items: [ticket(2), ticket(1)], next_cursor: null }))
    const store = useTicketsStore()
    await store.fetchList(emptyFilters())
    await store.loadMore()
    expect(new URL(requestOf(1).url).searchParams.get('cursor')).toBe('c2')
    expect(store.list.ids).toEqual([3, 2, 1])
    await store.loadMore()
    expect(fetchMock).toHaveBeenCalledTimes(2)
  })

  it('ignores a slow response to an older query', async () => {
    let releaseOld: (r: Response) => void = () => undefined
    fetchMock
      .mockImplementationOnce(() => new Promise((resolve) => (releaseOld = resolve)))
      .mockResolvedValueOnce(json({ items: [ticket(5)], next_cursor: null }))
    const store = useTicketsStore()
    const old = store.fetchList({ ...emptyFilters(), q: 'old' })
    await store.fetchList({ ...emptyFilters(), q: 'new' })
    releaseOld(json({ items: [ticket(9)], next_cursor: null }))
    await old
    expect(store.list.ids).toEqual([5])
    expect(store.list.filters.q).toBe('new')
  })

  it('inserts a live ticket at the top only when it matches the filters', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [ticket(1)], next_cursor: null }))
    const store = useTicketsStore()
    await store.fetchList({ ...emptyFilters(), priority: 'high' })
    store.receive(ticket(2, { priority: 'low' }), 7)
    store.receive(ticket(3, { priority: 'high' }), 7)
    expect(store.list.ids).toEqual([3, 1])
    expect(store.fresh.has(3)).toBe(true)
    expect(store.byId[2]?.priority).toBe('low')
  })

  it('updates a known ticket in place without reordering', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [ticket(2), ticket(1)], next_cursor: null }))
    const store = useTicketsStore()
    await store.fetchList(emptyFilters())
    store.receive(ticket(1, { status: 'resolved', version: 2 }), null)
    expect(store.list.ids).toEqual([2, 1])
    expect(store.byId[1]?.status).toBe('resolved')
    expect(store.changed.has(1)).toBe(true)
    expect(store.changed.has(2)).toBe(false)
    // The same version again (an echo of what we already hold) is no change.
    store.receive(ticket(2), null)
    expect(store.changed.has(2)).toBe(false)
  })

  it('sends a bulk action and returns the per-row results', async () => {
    fetchMock.mockResolvedValueOnce(
      json({ results: [{ id: 1, ok: true }, { id: 2, ok: false, code: 'invalid_transition', message: 'No.' }] }),
    )
    const store = useTicketsStore()
    const results = await store.bulk({ ids: [1, 2], action: 'transition', params: { status: 'open', reason: '' } })
    const req = requestOf(0)
    expect(new URL(req.url).pathname).toBe('/api/v1/tickets/bulk')
    expect(req.method).toBe('POST')
    expect(await req.json()).toEqual({ ids: [1, 2], action: 'transition', params: { status: 'open', reason: '' } })
    expect(results.map((r) => r.code ?? 'ok')).toEqual(['ok', 'invalid_transition'])
  })

  it('matches filters like the server for assignee me/none and status sets', () => {
    const f = { ...emptyFilters(), assignee: 'me' }
    expect(matchesFilters(ticket(1, { assignee: user(7) }), f, 7)).toBe(true)
    expect(matchesFilters(ticket(1, { assignee: user(8) }), f, 7)).toBe(false)
    expect(matchesFilters(ticket(1), { ...emptyFilters(), assignee: 'none' }, 7)).toBe(true)
    expect(matchesFilters(ticket(1, { status: 'open' }), { ...emptyFilters(), status: ['new'] }, 7)).toBe(false)
    expect(matchesFilters(ticket(1), { ...emptyFilters(), q: 'words' }, 7)).toBe(false)
  })
})

describe('comments store', () => {
  const comment = (id: number, parent: number | null = null, internal = false): Comment =>
    ({ id, ticket_id: 5, author: user(1), body: `c${id}`, body_html: `<p>c${id}</p>`, internal, parent_id: parent, created_at: '2026-01-01T00:00:00Z', edited_at: null }) as Comment

  it('loads every page, builds a one-level thread and takes live comments once', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [comment(1)], next_cursor: 'c1' })).mockResolvedValueOnce(json({ items: [comment(2, 1)], next_cursor: null }))
    const store = useCommentsStore()
    await store.fetchForTicket(5)
    expect(new URL(requestOf(1).url).searchParams.get('cursor')).toBe('c1')
    store.add(comment(3, null, true))
    store.add(comment(3, null, true))
    store.add(comment(4, 1))
    const thread = store.thread(5)
    expect(thread.map((t) => t.comment.id)).toEqual([1, 3])
    expect(thread[0]!.replies.map((r) => r.id)).toEqual([2, 4])
  })
})

describe('approvals store', () => {
  const approval = (id: number): Approval =>
    ({ id, state: 'pending', ticket: { id, number: `HD-${id}`, title: 't' }, workflow: { id: 1, name: 'Manager approval' }, current_step: null, created_at: '2026-01-01T00:00:00Z' }) as Approval

  async function loaded() {
    fetchMock.mockResolvedValueOnce(json({ items: [approval(1), approval(2), approval(3)], next_cursor: null }))
    const store = useApprovalsStore()
    await store.fetchInbox()
    const query = new URL(requestOf(0).url).searchParams
    expect([query.get('state'), query.get('mine')]).toEqual(['pending', 'true'])
    expect(store.pendingCount).toBe(3)
    return store
  }

  it('removes the item at once and keeps it removed on success', async () => {
    const store = await loaded()
    let resolve: (r: Response) => void = () => undefined
    fetchMock.mockImplementationOnce(() => new Promise((r) => (resolve = r)))
    const pending = store.decide(2, 'approve', 'ok')
    expect(store.inbox).toEqual([1, 3])
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2))
    resolve(json({ id: 2, state: 'approved' }))
    await pending
    expect(store.inbox).toEqual([1, 3])
    expect(await requestOf(1).json()).toEqual({ decision: 'approve', comment: 'ok' })
  })

  it('puts the item back in its place on 409 and refreshes the inbox', async () => {
    const store = await loaded()
    fetchMock
      .mockResolvedValueOnce(json({ code: 'already_decided', message: 'Already decided.', details: {} }, 409))
      .mockResolvedValueOnce(json({ items: [approval(1), approval(2), approval(3)], next_cursor: null }))
    const error = await store.decide(2, 'reject', 'no').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(store.inbox).toEqual([1, 2, 3])
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(3))
  })
})

describe('auth store and dev session', () => {
  it('signs in with the dev token endpoint, stores the token and loads me', async () => {
    const token = fakeJwt(Date.now() / 1000 + 3600)
    fetchMock.mockImplementation(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/dev/token') return json({ access_token: token, token_type: 'Bearer', expires_at: 0 })
      if (path === '/api/v1/users/me') return json({ ...user(3, 'requester'), teams: [], is_staff: false })
      return json({}, 404)
    })
    const auth = useAuthStore()
    const storage = window.localStorage
    storage.clear()
    auth.useProvider(new DevSession(storage))
    await auth.signInDev('u3@example.com')
    expect(auth.status).toBe('signed_in')
    expect(auth.user?.email).toBe('u3@example.com')
    expect(JSON.parse(storage.getItem('helpdesk.devSession')!)).toEqual({ email: 'u3@example.com', token })
    const me = fetchMock.mock.calls.map((c) => c[0]).find((r) => r.url.endsWith('/users/me'))!
    expect(me.headers.get('Authorization')).toBe(`Bearer ${token}`)
  })

  it('refreshes the dev token shortly before it expires, once for concurrent callers', async () => {
    let now = 1_000_000
    const first = fakeJwt(now + 120)
    const second = fakeJwt(now + 3600)
    window.localStorage.setItem('helpdesk.devSession', JSON.stringify({ email: 'a@example.com', token: first }))
    fetchMock.mockImplementation(async () => json({ access_token: second, token_type: 'Bearer', expires_at: 0 }))
    const session = new DevSession(window.localStorage, () => now)
    expect(await session.restore()).toBe(true)
    expect(await session.getToken()).toBe(first)
    now += 70
    const [a, b] = await Promise.all([session.getToken(), session.getToken()])
    expect(a).toBe(second)
    expect(b).toBe(second)
    expect(fetchMock).toHaveBeenCalledTimes(1)
    expect(await requestOf(0).json()).toEqual({ email: 'a@example.com' })
  })

  it('on a 401 signs out and remembers that the session expired', async () => {
    fetchMock.mockResolvedValueOnce(json({ ...user(3), teams: [], is_staff: false }))
    const auth = useAuthStore()
    const session = new DevSession(window.localStorage)
    window.localStorage.setItem('helpdesk.devSession', JSON.stringify({ email: 'a@example.com', token: fakeJwt(Date.now() / 1000 + 3600) }))
    auth.useProvider(session)
    await auth.init()
    expect(auth.status).toBe('signed_in')
    fetchMock.mockResolvedValueOnce(json({ code: 'not_authenticated', message: 'Expired', details: {} }, 401))
    await expect(auth.loadMe()).rejects.toBeInstanceOf(ApiError)
    expect(auth.status).toBe('signed_out')
    expect(auth.expired).toBe(true)
    expect(window.localStorage.getItem('helpdesk.devSession')).toBeNull()
  })
})

describe('live store', () => {
  beforeEach(() => FakeWebSocket.reset())

  it('shares one subscription between screens and unsubscribes after the last one leaves', async () => {
    const live = useLiveStore()
    live.start({
      url: 'ws://x/ws/v1/events',
      getToken: async () => fakeJwt(Date.now() / 1000 + 600),
      onAuthLost: () => undefined,
      WebSocketImpl: FakeWebSocket as unknown as new (url: string) => WebSocket,
    })
    const ws = FakeWebSocket.last
    ws.open()
    await vi.waitFor(() => expect(ws.framesOf('auth')).toHaveLength(1))
    ws.receive({ type: 'ready', user: {} })
    expect(live.status).toBe('open')
    const a = live.subscribe('ticket:1')
    const b = live.subscribe('ticket:1')
    expect(ws.framesOf('subscribe')).toHaveLength(1)
    a()
    expect(ws.framesOf('unsubscribe')).toHaveLength(0)
    b()
    expect(ws.framesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', topic: 'ticket:1' }])
    live.stop()
  })

  it('delivers events to listeners and calls reconnect listeners after a reconnect', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const live = useLiveStore()
    const got: string[] = []
    const reconnected = vi.fn()
    live.onEvent((f) => got.push(f.event))
    live.onReconnect(reconnected)
    live.start({
      url: 'ws://x/ws/v1/events',
      getToken: async () => 'opaque-api-token',
      onAuthLost: () => undefined,
      WebSocketImpl: FakeWebSocket as unknown as new (url: string) => WebSocket,
    })
    const first = FakeWebSocket.last
    first.open()
    await vi.waitFor(() => expect(first.framesOf('auth')).toHaveLength(1))
    first.receive({ type: 'ready', user: {} })
    first.receive({ type: 'event', topic: 'tickets', event: 'ticket.created', data: {} })
    expect(got).toEqual(['ticket.created'])
    first.drop()
    await vi.advanceTimersByTimeAsync(1000)
    const second = FakeWebSocket.last
    expect(second).not.toBe(first)
    second.open()
    await vi.waitFor(() => expect(second.framesOf('auth')).toHaveLength(1))
    second.receive({ type: 'ready', user: {} })
    expect(reconnected).toHaveBeenCalledTimes(1)
    live.stop()
    vi.useRealTimers()
  })
})
