import type { Attachment, Comment, Notification, Ticket } from '@/api/models'
import type { EventFrame } from './socket'
import { useApprovalsStore } from '@/stores/approvals'
import { useAttachmentsStore } from '@/stores/attachments'
import { useAuthStore } from '@/stores/auth'
import { useCommentsStore } from '@/stores/comments'
import { useNotificationsStore } from '@/stores/notifications'
import { useNotificationPanel } from '@/composables/useNotificationPanel'
import { router } from '@/router'
import { useTicketsStore } from '@/stores/tickets'
import { useToastStore } from '@/stores/toasts'

type Data = Record<string, unknown>

interface LiveSource {
  onEvent: (listener: (frame: EventFrame) => void) => () => void
  onReconnect: (listener: () => void) => () => void
}

function obj(value: unknown): Data | null {
  return typeof value === 'object' && value !== null ? (value as Data) : null
}

function num(value: unknown): number | null {
  return typeof value === 'number' ? value : null
}

/** The ticket an event concerns: from its payload, or from a `ticket:<id>` topic. */
function ticketIdOf(frame: EventFrame): number | null {
  const d = frame.data
  const id =
    num(obj(d.ticket)?.id) ?? num(d.ticket_id) ?? num(obj(d.approval)?.ticket_id) ?? num(obj(d.comment)?.ticket_id)
  if (id !== null) return id
  const m = /^ticket:(\d+)$/.exec(frame.topic)
  return m ? Number(m[1]) : null
}

/**
 * Where each websocket event lands: stores (normalised by id, so the same event arriving on
 * several topics is harmless) and a refetch of what is on screen when the payload is partial.
 *
 * Toasts are rare: the screens show ticket changes live and the bell lists what concerns me, so
 * only a new notification about something the current screen doesn't show (another ticket than
 * the one open, and the panel closed) gets a toast — at most three at once (stores/toasts.ts).
 */
export function routeLiveEvents(live: LiveSource): void {
  const refetching = new Map<number, ReturnType<typeof setTimeout>>()

  /** Coalesce bursts of events on one ticket into one refetch of the open detail. */
  let recalculated: ReturnType<typeof setTimeout> | undefined
  function reloadAfterRecalculation(): void {
    clearTimeout(recalculated)
    recalculated = setTimeout(() => {
      const tickets = useTicketsStore()
      if (tickets.list.loaded) void tickets.fetchList().catch(() => undefined)
      for (const id of Object.keys(tickets.details)) refreshTicket(Number(id))
    }, 1000)
  }

  function refreshTicket(id: number): void {
    const tickets = useTicketsStore()
    if (!tickets.details[id]) return
    clearTimeout(refetching.get(id))
    refetching.set(
      id,
      setTimeout(() => {
        refetching.delete(id)
        void tickets.fetchDetail(id).catch(() => undefined)
        void tickets.fetchEvents(id).catch(() => undefined)
      }, 150),
    )
  }

  /** Is this ticket what the current screen shows? */
  function onScreen(ticketId: number | null): boolean {
    const route = router.currentRoute.value
    return ticketId !== null && route.name === 'ticket' && Number(route.params.id) === ticketId
  }

  function notify(item: Notification): void {
    if (!useNotificationsStore().receive(item)) return
    if (useNotificationPanel().open.value || onScreen(item.ticket?.id ?? null)) return
    useToastStore().push(item.message)
  }

  live.onEvent((frame) => {
    const auth = useAuthStore()
    const tickets = useTicketsStore()
    const meId = auth.user?.id ?? null
    const d = frame.data
    const ticketId = ticketIdOf(frame)

    switch (frame.event) {
      case 'ticket.created':
      case 'ticket.updated':
      case 'ticket.transitioned':
      case 'ticket.assigned': {
        const ticket = obj(d.ticket) as Ticket | null
        if (!ticket || typeof ticket.id !== 'number') return
        tickets.receive(ticket, meId)
        refreshTicket(ticket.id)
        return
      }
      case 'ticket.sla_changed':
      case 'ticket.sla_warning':
      case 'ticket.sla_breached': {
        // Clock changes (the server's or the deadline jobs'): the row's badge and the ticket's clocks.
        const ticket = obj(d.ticket) as Ticket | null
        if (!ticket || typeof ticket.id !== 'number') return
        tickets.receive(ticket, meId)
        refreshTicket(ticket.id)
        return
      }
      case 'sla.recalculated':
        // A calendar change moved many tickets' clocks at once: reload what is on screen.
        reloadAfterRecalculation()
        return
      case 'ticket.deleted':
        if (ticketId !== null) tickets.forget(ticketId)
        return
      case 'comment.created':
      case 'comment.updated':
      case 'comment.deleted': {
        const comment = obj(d.comment) as Comment | null
        if (!comment || typeof comment.id !== 'number') return
        useCommentsStore().add(comment)
        refreshTicket(comment.ticket_id)
        return
      }
      case 'attachment.available':
      case 'attachment.deleted': {
        const attachment = obj(d.attachment) as Attachment | null
        if (!attachment || ticketId === null) return
        const store = useAttachmentsStore()
        if (frame.event === 'attachment.available') store.receive(ticketId, attachment)
        else store.drop(ticketId, attachment.id)
        refreshTicket(ticketId)
        return
      }
      case 'approval.requested':
      case 'approval.decided':
      case 'approval.cancelled': {
        void useApprovalsStore().fetchInbox()
        if (ticketId !== null) refreshTicket(ticketId)
        return
      }
      case 'notification.created': {
        const item = d as unknown as Notification
        if (typeof item.id === 'number') notify(item)
        return
      }
      case 'notification.read': {
        const ids = Array.isArray(d.ids) ? d.ids.filter((id): id is number => typeof id === 'number') : []
        const count = num(d.unread_count)
        if (count !== null) useNotificationsStore().applyRead(ids, count)
        return
      }
      case 'access.changed':
        void auth.loadMe().catch(() => undefined)
        if (tickets.list.loaded) void tickets.fetchList()
        return
      default:
        return
    }
  })

  live.onReconnect(() => {
    const tickets = useTicketsStore()
    if (tickets.list.loaded) void tickets.fetchList()
    void useApprovalsStore().fetchInbox()
    // Notifications made while the socket was down: the first page and the count, afresh.
    void useNotificationsStore().fetchFirst()
  })
}
