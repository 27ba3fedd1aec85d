import type { Attachment, Comment, Ticket } from '@/api/models'
import { label } from '@/api/types'
import type { EventFrame } from './socket'
import { useApprovalsStore } from '@/stores/approvals'
import { useAttachmentsStore } from '@/stores/attachments'
import { useAuthStore } from '@/stores/auth'
import { useCommentsStore } from '@/stores/comments'
import { usePeopleStore } from '@/stores/people'
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
 * several topics is harmless), a refetch of what is on screen when the payload is partial,
 * and one toast per change made by someone else.
 */
export function routeLiveEvents(live: LiveSource): void {
  const refetching = new Map<number, ReturnType<typeof setTimeout>>()
  const toasted = new Map<string, number>()

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

  /** The server sends an event once per topic; subscribers of several topics toast once. */
  function toastOnce(frame: EventFrame, message: string): void {
    const key = `${frame.event}:${JSON.stringify(frame.data)}`
    const now = Date.now()
    for (const [k, at] of toasted) if (now - at > 5000) toasted.delete(k)
    if (toasted.has(key)) return
    toasted.set(key, now)
    useToastStore().push(message)
  }

  live.onEvent((frame) => {
    const auth = useAuthStore()
    const people = usePeopleStore()
    const tickets = useTicketsStore()
    const meId = auth.user?.id ?? null
    const d = frame.data
    const actorId = num(d.actor_id)
    const byOther = actorId !== meId
    const who = people.nameOf(actorId)
    const ticketId = ticketIdOf(frame)
    const number =
      (typeof obj(d.ticket)?.number === 'string' ? (obj(d.ticket)?.number as string) : null) ??
      (ticketId !== null ? tickets.byId[ticketId]?.number : undefined) ??
      'a ticket'

    switch (frame.event) {
      case 'ticket.created':
      case 'ticket.updated':
      case 'ticket.transitioned':
      case 'ticket.assigned': {
        const ticket = obj(d.ticket) as Ticket | null
        if (!ticket || typeof ticket.id !== 'number') return
        tickets.receive(ticket, meId)
        refreshTicket(ticket.id)
        if (!byOther) return
        if (frame.event === 'ticket.created') {
          toastOnce(frame, who ? `${who} raised ${ticket.number}` : `New ticket ${ticket.number}`)
        } else if (frame.event === 'ticket.transitioned') {
          // Approval outcomes get their own "approved/rejected" toast from approval.decided.
          if (['approved', 'rejected'].includes(ticket.status)) return
          const status = label(ticket.status).toLowerCase()
          toastOnce(frame, who ? `${who} moved ${ticket.number} to ${status}` : `${ticket.number} is now ${status}`)
        } else if (frame.event === 'ticket.assigned') {
          const to = ticket.assignee ? (ticket.assignee.id === meId ? 'you' : ticket.assignee.name || ticket.assignee.email) : null
          const n = ticket.number
          if (who) toastOnce(frame, to ? `${who} assigned ${n} to ${to}` : `${who} unassigned ${n}`)
          else toastOnce(frame, to ? `${n} was assigned to ${to}` : `${n} was unassigned`)
        } else toastOnce(frame, who ? `${who} updated ${ticket.number}` : `${ticket.number} was updated`)
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
        if (byOther) toastOnce(frame, who ? `${who} deleted ${number}` : `${number} was deleted`)
        return
      case 'comment.created':
      case 'comment.updated':
      case 'comment.deleted': {
        const comment = obj(d.comment) as Comment | null
        if (!comment || typeof comment.id !== 'number') return
        useCommentsStore().add(comment)
        refreshTicket(comment.ticket_id)
        if (frame.event === 'comment.created' && byOther) {
          const author = comment.author ? comment.author.name || comment.author.email : (who ?? 'Someone')
          toastOnce(frame, `${author} ${comment.internal ? 'added an internal note to' : 'commented on'} ${number}`)
        }
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
        if (byOther && frame.event === 'attachment.available') {
          toastOnce(frame, who ? `${who} attached ${attachment.filename}` : `${attachment.filename} was attached to ${number}`)
        }
        return
      }
      case 'approval.requested':
      case 'approval.decided':
      case 'approval.cancelled': {
        void useApprovalsStore().fetchInbox()
        if (ticketId !== null) refreshTicket(ticketId)
        if (frame.event === 'approval.requested') toastOnce(frame, `Your approval is requested on ${number}`)
        else if (byOther && frame.event === 'approval.decided') {
          const verb = obj(d.decision)?.decision === 'reject' ? 'rejected' : 'approved'
          toastOnce(frame, who ? `${who} ${verb} ${number}` : `${number} was ${verb}`)
        } else if (byOther) {
          toastOnce(frame, who ? `${who} cancelled the approval of ${number}` : `The approval of ${number} was cancelled`)
        }
        return
      }
      case 'mention': {
        const author = (obj(d.comment) as Comment | null)?.author
        toastOnce(frame, `${who ?? (author ? author.name || author.email : 'Someone')} mentioned you on ${number}`)
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
  })
}
