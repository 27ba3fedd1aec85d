import type { Attachment, Comment, Ticket, UserRef } from '@/api/models'
import type { EventFrame } from './socket'
import { useAuthStore } from '@/stores/auth'
import { useTicketsStore } from '@/stores/tickets'
import { useCommentsStore } from '@/stores/comments'
import { useApprovalsStore } from '@/stores/approvals'
import { useAttachmentsStore } from '@/stores/attachments'
import { useToastStore } from '@/stores/toasts'

type Data = Record<string, unknown>

function isObject(value: unknown): value is Data {
  return typeof value === 'object' && value !== null
}

function asTicket(data: Data): Ticket | null {
  const candidate = isObject(data.ticket) ? data.ticket : data
  return typeof candidate.id === 'number' && typeof candidate.number === 'string' ? (candidate as unknown as Ticket) : null
}

function asComment(data: Data): Comment | null {
  const candidate = isObject(data.comment) ? data.comment : data
  return typeof candidate.id === 'number' && typeof candidate.ticket_id === 'number'
    ? (candidate as unknown as Comment)
    : null
}

function actorOf(data: Data): UserRef | null {
  const actor = data.actor ?? data.author ?? (isObject(data.comment) ? data.comment.author : null)
  return isObject(actor) && typeof actor.id === 'number' ? (actor as unknown as UserRef) : null
}

function ticketIdOf(frame: EventFrame): number | null {
  const data = frame.data
  for (const v of [data.ticket_id, isObject(data.ticket) ? data.ticket.id : undefined]) {
    if (typeof v === 'number') return v
  }
  const m = /^ticket:(\d+)$/.exec(frame.topic)
  return m ? Number(m[1]) : null
}

function name(user: UserRef | null): string {
  return user ? user.name || user.email : 'Someone'
}

/** Where each websocket event lands: the stores (normalised by id) and a toast for others' changes. */
export function routeLiveEvents(live: { onEvent: (l: (f: EventFrame) => void) => () => void; onReconnect: (l: () => void) => () => void }): void {
  const refetching = new Map<number, ReturnType<typeof setTimeout>>()

  /** Coalesce bursts of events on one ticket into a single refetch of what is on screen. */
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

  live.onEvent((frame) => {
    const auth = useAuthStore()
    const toasts = useToastStore()
    const meId = auth.user?.id ?? null
    const actor = actorOf(frame.data)
    const byOther = actor !== null && actor.id !== meId
    const [kind] = frame.event.split('.')

    if (kind === 'ticket') {
      const ticket = asTicket(frame.data)
      if (!ticket) return
      const tickets = useTicketsStore()
      if (frame.event === 'ticket.deleted') tickets.forget(ticket.id)
      else tickets.receive(ticket, meId)
      refreshTicket(ticket.id)
      if (byOther) {
        const verb = frame.event === 'ticket.created' ? 'created' : 'updated'
        toasts.push(`${name(actor)} ${verb} ${ticket.number}`)
      }
    } else if (kind === 'comment') {
      const comment = asComment(frame.data)
      if (!comment) return
      useCommentsStore().add(comment)
      refreshTicket(comment.ticket_id)
      if (frame.event === 'comment.created' && comment.author?.id !== meId) {
        toasts.push(`${name(comment.author)} ${comment.internal ? 'added an internal note' : 'commented'}`)
      }
    } else if (kind === 'approval') {
      void useApprovalsStore().fetchInbox()
      const ticketId = ticketIdOf(frame)
      if (ticketId !== null) refreshTicket(ticketId)
      if (frame.event === 'approval.requested' && frame.topic.startsWith('user:')) {
        toasts.push('An approval is waiting for you')
      } else if (frame.event === 'approval.decided' && byOther) {
        toasts.push(`${name(actor)} decided an approval`)
      }
    } else if (kind === 'attachment') {
      const ticketId = ticketIdOf(frame)
      const attachment = isObject(frame.data.attachment) ? frame.data.attachment : frame.data
      if (ticketId !== null && typeof attachment.id === 'number') {
        useAttachmentsStore().receive(ticketId, attachment as unknown as Attachment)
      }
    } else if (frame.event === 'mention') {
      toasts.push(`${name(actor)} mentioned you`)
    }
  })

  live.onReconnect(() => {
    const tickets = useTicketsStore()
    if (tickets.list.loaded) void tickets.fetchList()
    void useApprovalsStore().fetchInbox()
  })
}
