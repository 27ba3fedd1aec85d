import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setAuthHooks } from '@/api/client'
import { useNotificationsStore } from '@/stores/notifications'
import { json } from './helpers'

const item = (id: number, read = false) => ({
  id,
  kind: 'assigned',
  ticket: { id: 1, number: 'HD-1', title: 't' },
  actor: null,
  message: `N${id}`,
  created_at: '2026-01-01T00:00:00Z',
  read_at: read ? '2026-01-01T00:01:00Z' : null,
})

const fetchMock = vi.fn<(r: Request) => Promise<Response>>()

beforeEach(() => {
  setActivePinia(createPinia())
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  setAuthHooks({ getToken: async () => 't', onUnauthorized: () => undefined })
})
afterEach(() => vi.unstubAllGlobals())

describe('notifications store', () => {
  it('loads the first page and older pages by cursor, newest first', async () => {
    fetchMock
      .mockResolvedValueOnce(json({ items: [item(5), item(4)], next_cursor: '4', unread_count: 3 }))
      .mockResolvedValueOnce(json({ items: [item(3, true)], next_cursor: null, unread_count: 3 }))
    const store = useNotificationsStore()
    await store.fetchFirst()
    await store.fetchMore()
    expect(store.items.map((n) => n.id)).toEqual([5, 4, 3])
    expect(store.nextCursor).toBeNull()
    expect(new URL(fetchMock.mock.calls[1]![0].url).searchParams.get('cursor')).toBe('4')
  })

  it('marks read with the ids and takes the count the server answers', async () => {
    fetchMock
      .mockResolvedValueOnce(json({ items: [item(5), item(4)], next_cursor: null, unread_count: 2 }))
      .mockResolvedValueOnce(json({ unread_count: 1 }))
      .mockResolvedValueOnce(json({ unread_count: 0 }))
    const store = useNotificationsStore()
    await store.fetchFirst()
    await store.markRead([5])
    expect(await fetchMock.mock.calls[1]![0].json()).toEqual({ ids: [5], all: false })
    expect(store.byId[5]?.read_at).not.toBeNull()
    expect(store.unreadCount).toBe(1)
    await store.markAllRead()
    expect(await fetchMock.mock.calls[2]![0].json()).toEqual({ all: true })
    expect(store.items.every((n) => n.read_at)).toBe(true)
    expect(store.unreadCount).toBe(0)
  })

  it('shows an error it can retry from when the first page fails', async () => {
    fetchMock.mockResolvedValueOnce(json({ code: 'internal_error', message: 'Boom.', details: {} }, 500))
    const store = useNotificationsStore()
    await store.fetchFirst()
    expect(store.error).toBe('Boom.')
    expect(store.loaded).toBe(false)
  })

  it('changes one channel of one kind', async () => {
    const all = { in_app: true, email: true }
    fetchMock.mockResolvedValueOnce(json({ assigned: { in_app: true, email: false }, mentioned: all }))
    const store = useNotificationsStore()
    await store.setChannel('assigned', 'email', false)
    const request = fetchMock.mock.calls[0]![0]
    expect(request.method).toBe('PATCH')
    expect(await request.json()).toEqual({ assigned: { email: false } })
    expect(store.settings?.assigned).toEqual({ in_app: true, email: false })
  })
})
