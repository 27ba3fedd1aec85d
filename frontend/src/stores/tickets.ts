import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { api, unwrap } from '@/api/client'
import { usePeopleStore } from './people'
import type { BulkRequest, BulkResult, Ticket, TicketCreate, TicketUpdate, TicketDetail, TicketEvent, TicketListQuery, TicketOrdering } from '@/api/models'

export interface TicketFilters {
  status: string[]
  priority: string
  /** '' (anyone), 'me', 'none' or a user id */
  assignee: string
  team: string
  q: string
  /** '' lets the server choose: newest first, or best match when searching */
  ordering: TicketOrdering | ''
  /** '' (any), 'at_risk' or 'breached' */
  sla: '' | 'at_risk' | 'breached'
}

export function emptyFilters(): TicketFilters {
  return { status: [], priority: '', assignee: '', team: '', q: '', ordering: '', sla: '' }
}

const PAGE_SIZE = 25

/** Whether a ticket belongs in a list filtered this way (used for live insertion). */
export function matchesFilters(ticket: Ticket, filters: TicketFilters, meId: number | null): boolean {
  if (filters.q.trim()) return false
  if (filters.status.length && !filters.status.includes(ticket.status)) return false
  if (filters.priority && ticket.priority !== filters.priority) return false
  if (filters.team && String(ticket.team?.id ?? '') !== filters.team) return false
  if (filters.assignee === 'me' && (meId === null || ticket.assignee?.id !== meId)) return false
  if (filters.assignee === 'none' && ticket.assignee) return false
  if (filters.sla && !slaMatches(ticket, filters.sla, Date.now())) return false
  if (filters.assignee && !['me', 'none'].includes(filters.assignee) && String(ticket.assignee?.id) !== filters.assignee) {
    return false
  }
  return true
}

/** The server's `sla=` filter read on one ticket (at risk: a running clock past its warning time). */
function slaMatches(ticket: Ticket, filter: 'at_risk' | 'breached', now: number): boolean {
  const clocks = [ticket.sla?.first_response, ticket.sla?.resolution].filter((c) => !!c)
  const breached = clocks.some((c) => c.state === 'breached')
  if (filter === 'breached') return breached
  return !breached && clocks.some((c) => c.state === 'running' && !!c.warning_at && new Date(c.warning_at).getTime() <= now)
}

/** The list's filters as query parameters (the list and its CSV export take the same ones). */
export function filterQuery(filters: TicketFilters): Omit<TicketListQuery, 'cursor' | 'limit'> {
  return {
    ...(filters.status.length ? { status: filters.status } : {}),
    ...(filters.priority ? { priority: filters.priority as TicketListQuery['priority'] } : {}),
    ...(filters.assignee ? { assignee: filters.assignee } : {}),
    ...(filters.team ? { team: Number(filters.team) } : {}),
    ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
    ...(filters.ordering ? { ordering: filters.ordering } : {}),
    ...(filters.sla ? { sla: filters.sla } : {}),
  }
}

function toQuery(filters: TicketFilters, cursor: string | null): TicketListQuery {
  return { ...filterQuery(filters), ...(cursor ? { cursor } : {}), limit: PAGE_SIZE }
}

/** Tickets normalised by id; the list is an ordered array of ids over that map. */
export const useTicketsStore = defineStore('tickets', () => {
  const byId = reactive<Record<number, Ticket>>({})
  const details = reactive<Record<number, TicketDetail>>({})
  const events = reactive<Record<number, TicketEvent[]>>({})
  const list = reactive({
    ids: [] as number[],
    filters: emptyFilters(),
    nextCursor: null as string | null,
    loading: false,
    loadingMore: false,
    error: '',
    loaded: false,
  })
  /** Ids that arrived live, for a brief highlight in the list. */
  const fresh = ref(new Set<number>())
  /** Listed ids that changed live, for a brief highlight in place. */
  const changed = ref(new Set<number>())
  let generation = 0

  const people = usePeopleStore()

  function upsert(ticket: Ticket): void {
    people.remember(ticket.requester, ticket.assignee)
    byId[ticket.id] = { ...byId[ticket.id], ...ticket }
    const detail = details[ticket.id]
    if (detail) details[ticket.id] = { ...detail, ...ticket }
  }

  async function fetchList(filters: TicketFilters = list.filters): Promise<void> {
    const mine = ++generation
    list.filters = { ...filters, status: [...filters.status] }
    list.loading = true
    list.error = ''
    try {
      const page = await unwrap(api.GET('/api/v1/tickets', { params: { query: toQuery(list.filters, null) } }))
      if (mine !== generation) return
      page.items.forEach(upsert)
      list.ids = page.items.map((t) => t.id)
      list.nextCursor = page.next_cursor ?? null
      list.loaded = true
    } catch (e) {
      if (mine === generation) list.error = e instanceof Error ? e.message : 'Could not load tickets.'
    } finally {
      if (mine === generation) list.loading = false
    }
  }

  async function loadMore(): Promise<void> {
    if (!list.nextCursor || list.loadingMore || list.loading) return
    const mine = generation
    list.loadingMore = true
    try {
      const page = await unwrap(
        api.GET('/api/v1/tickets', { params: { query: toQuery(list.filters, list.nextCursor) } }),
      )
      if (mine !== generation) return
      page.items.forEach(upsert)
      const seen = new Set(list.ids)
      list.ids.push(...page.items.map((t) => t.id).filter((id) => !seen.has(id)))
      list.nextCursor = page.next_cursor ?? null
    } catch (e) {
      if (mine === generation) list.error = e instanceof Error ? e.message : 'Could not load more tickets.'
    } finally {
      list.loadingMore = false
    }
  }

  /** Mark a row in `marks` for a few seconds (a brief highlight in the list). */
  function flash(marks: typeof fresh, id: number): void {
    marks.value = new Set([...marks.value, id])
    setTimeout(() => {
      const next = new Set(marks.value)
      next.delete(id)
      marks.value = next
    }, 4000)
  }

  /**
   * A ticket seen on the websocket: update it everywhere, add it to the list if it fits. A listed
   * ticket that changed stays where it is and is marked `changed` briefly.
   */
  function receive(ticket: Ticket, meId: number | null): void {
    const before = byId[ticket.id]
    upsert(ticket)
    if (!before && list.loaded && !list.ids.includes(ticket.id) && matchesFilters(ticket, list.filters, meId)) {
      list.ids.unshift(ticket.id)
      flash(fresh, ticket.id)
    } else if (before && before.version !== ticket.version && list.ids.includes(ticket.id)) {
      flash(changed, ticket.id)
    }
  }

  /**
   * POST /tickets/bulk: one action on many tickets; every row answers for itself (`ok`, or the
   * single endpoint's `code` and `message`). Tickets that changed come back over the websocket.
   */
  async function bulk(body: BulkRequest): Promise<BulkResult[]> {
    const out = await unwrap(api.POST('/api/v1/tickets/bulk', { body }))
    return out.results
  }

  function forget(id: number): void {
    list.ids = list.ids.filter((x) => x !== id)
    delete byId[id]
    delete details[id]
  }

  async function fetchDetail(id: number): Promise<TicketDetail> {
    const detail = await unwrap(api.GET('/api/v1/tickets/{ticket_id}', { params: { path: { ticket_id: id } } }))
    details[id] = detail
    people.remember(detail.requester, detail.assignee, ...detail.watchers)
    byId[id] = { ...byId[id], ...detail }
    return detail
  }

  /** The whole activity log: every cursor page, oldest first (the timeline interleaves it with comments). */
  async function fetchEvents(id: number): Promise<void> {
    const items: TicketEvent[] = []
    let cursor: string | null = null
    do {
      const page: { items: TicketEvent[]; next_cursor: string | null } = await unwrap(
        api.GET('/api/v1/tickets/{ticket_id}/events', {
          params: { path: { ticket_id: id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } },
        }),
      )
      items.push(...page.items)
      cursor = page.next_cursor
    } while (cursor)
    items.forEach((e) => people.remember(e.actor))
    events[id] = items
  }

  /** A detail the server returned from another endpoint (a macro's apply): store it as fetched. */
  function storeDetail(detail: TicketDetail): void {
    details[detail.id] = detail
    people.remember(detail.requester, detail.assignee, ...detail.watchers)
    byId[detail.id] = { ...byId[detail.id], ...detail }
  }

  async function create(body: TicketCreate) {
    const ticket = await unwrap(api.POST('/api/v1/tickets', { body }))
    upsert(ticket)
    if (list.loaded && matchesFilters(ticket, list.filters, ticket.requester?.id ?? null)) {
      list.ids = [ticket.id, ...list.ids.filter((id) => id !== ticket.id)]
    }
    return ticket
  }

  /** PATCH with the version the caller read; a stale one is a 409 `stale_version`. */
  async function update(id: number, version: number, changes: Omit<TicketUpdate, 'version'>): Promise<void> {
    const detail = await unwrap(
      api.PATCH('/api/v1/tickets/{ticket_id}', { params: { path: { ticket_id: id } }, body: { version, ...changes } }),
    )
    details[id] = detail
    upsert(detail)
  }

  async function transition(id: number, status: string, reason?: string): Promise<void> {
    const ticket = await unwrap(
      api.POST('/api/v1/tickets/{ticket_id}/transition', {
        params: { path: { ticket_id: id } },
        body: { status: status as TicketDetail['status'], reason: reason ?? '' },
      }),
    )
    upsert(ticket)
    await fetchDetail(id)
  }

  async function assign(id: number, assigneeId: number | null): Promise<void> {
    const ticket = await unwrap(
      api.POST('/api/v1/tickets/{ticket_id}/assign', {
        params: { path: { ticket_id: id } },
        body: { assignee_id: assigneeId },
      }),
    )
    upsert(ticket)
    await fetchDetail(id)
  }

  async function setWatching(id: number, watching: boolean): Promise<void> {
    const path = '/api/v1/tickets/{ticket_id}/watch'
    const params = { params: { path: { ticket_id: id } } }
    await unwrap(watching ? api.POST(path, params) : api.DELETE(path, params))
    await fetchDetail(id)
  }

  return {
    byId,
    details,
    events,
    list,
    fresh,
    changed,
    bulk,
    upsert,
    receive,
    forget,
    fetchList,
    loadMore,
    fetchDetail,
    fetchEvents,
    storeDetail,
    create,
    update,
    transition,
    assign,
    setWatching,
  }
})
