import type { Notification } from '@/api/models'
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

interface LiveSource {
  onEvent: (listener: (frame: EventFrame) => void) => () => void
  onReconnect: (listener: () => void) => () => void
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

  // Each frame's `data` has the type the server documents for its `event` (apps/live/schemas.py,
  // generated into LiveEvent): the switch narrows it, no payload is guessed at.
  live.onEvent((frame) => {
    const auth = useAuthStore()
    const tickets = useTicketsStore()
    const meId = auth.user?.id ?? null

    switch (frame.event) {
      case 'ticket.created':
      case 'ticket.updated':
      case 'ticket.transitioned':
      case 'ticket.assigned':
      // Clock changes (the server's or the deadline jobs'): the row's badge and the ticket's clocks.
      case 'ticket.sla_changed':
      case 'ticket.sla_warning':
      case 'ticket.sla_breached':
        tickets.receive(frame.data.ticket, meId)
        refreshTicket(frame.data.ticket.id)
        return
      case 'sla.recalculated':
        // A calendar change moved many tickets' clocks at once: reload what is on screen.
        reloadAfterRecalculation()
        return
      case 'ticket.deleted':
        tickets.forget(frame.data.ticket.id)
        return
      case 'comment.created':
      case 'comment.updated':
      case 'comment.deleted':
        useCommentsStore().add(frame.data.comment)
        refreshTicket(frame.data.comment.ticket_id)
        return
      case 'attachment.available':
        useAttachmentsStore().receive(frame.data.ticket_id, frame.data.attachment)
        refreshTicket(frame.data.ticket_id)
        return
      case 'attachment.deleted':
        useAttachmentsStore().drop(frame.data.ticket_id, frame.data.attachment.id)
        refreshTicket(frame.data.ticket_id)
        return
      case 'approval.requested':
      case 'approval.decided':
      case 'approval.cancelled':
        void useApprovalsStore().fetchInbox()
        refreshTicket(frame.data.approval.ticket_id)
        return
      case 'notification.created':
        notify(frame.data)
        return
      case 'notification.read':
        useNotificationsStore().applyRead(frame.data.ids, frame.data.unread_count)
        return
      case 'access.changed':
        void auth.loadMe().catch(() => undefined)
        if (tickets.list.loaded) void tickets.fetchList()
        return
      case 'mention':
        // The notification.created that accompanies it is what the bell and the toast show.
        return
      default:
        // An event this build doesn't know yet (a newer server): nothing to do.
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
