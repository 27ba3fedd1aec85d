import type { TicketEvent } from '@/api/models'
import { label } from '@/api/types'

type Payload = Record<string, unknown>

function obj(value: unknown): Payload {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Payload) : {}
}

function text(value: unknown): string {
  if (value === null || value === undefined || value === '') return 'nothing'
  return typeof value === 'string' ? label(value).toLowerCase() : String(value)
}

const SLA_VERBS: Record<string, string> = {
  started: 'started',
  paused: 'paused',
  resumed: 'resumed',
  reopened: 'resumed on reopen',
  met: 'met its target',
  stopped: 'stopped after its due time',
  retargeted: 're-targeted',
  recalculated: 'recalculated',
  warning: 'is at risk',
  breached: 'breached',
  removed: 'removed (no policy matches)',
}

function describeSla(change: string, detail: Payload): string {
  const clock = detail.clock === 'first_response' ? 'first response' : 'resolution'
  const policy = detail.policy ? ` (${String(detail.policy)})` : ''
  return `SLA ${clock} clock${policy} ${SLA_VERBS[change] ?? change}`
}

/** A person or team the row refers to by id, by the name the server sent in `names`. */
function named(e: TicketEvent, kind: 'user' | 'team', id: unknown): string {
  if (id === null || id === undefined) return kind === 'team' ? 'no team' : 'nobody'
  return e.names?.[`${kind}:${String(id)}`] ?? `a removed ${kind === 'team' ? 'team' : 'person'}`
}

function fieldValue(e: TicketEvent, field: string, value: unknown): string {
  if (field === 'team_id') return named(e, 'team', value)
  if (field === 'assignee_id') return named(e, 'user', value)
  if (field === 'due_at') return value ? new Date(String(value)).toLocaleString() : 'none'
  if (field === 'tags') return Array.isArray(value) && value.length ? value.join(', ') : 'none'
  if (field === 'description') return '…'
  return text(value)
}

/** "priority normal → high" for each changed field of an `updated` row. */
function describeChanges(e: TicketEvent, oldV: Payload, newV: Payload): string {
  return Object.keys(newV)
    .map((f) => {
      const name = label(f.replace(/_id$/, '')).toLowerCase()
      if (f === 'description') return 'description'
      return `${name} ${fieldValue(e, f, oldV[f])} → ${fieldValue(e, f, newV[f])}`
    })
    .join(', ')
}

/** Kinds that are about a comment: the timeline shows the comment itself instead. */
export const COMMENT_KINDS = new Set(['comment_added', 'comment_edited', 'comment_deleted'])

/** One readable sentence (after the actor's name) for an activity-log entry. */
export function describeEvent(e: TicketEvent): string {
  const oldV = obj(e.old)
  const newV = obj(e.new)
  switch (e.kind) {
    case 'created':
      return 'created the ticket'
    case 'status_changed':
      return `changed the status from ${text(e.old)} to ${text(e.new)}`
    case 'updated': {
      if (!Object.keys(newV).length) return 'edited the ticket'
      return `changed ${describeChanges(e, oldV, newV)}`
    }
    case 'assigned':
      if (e.new === null || e.new === undefined) return `unassigned ${named(e, 'user', e.old)}`
      return `assigned to ${named(e, 'user', e.new)}`
    case 'watcher_added':
      return e.actor && e.actor.id === e.new ? 'started watching' : `added ${named(e, 'user', e.new)} as a watcher`
    case 'watcher_removed':
      return 'stopped watching'
    case 'macro_applied':
      return `applied the macro “${String(newV.name ?? 'macro')}”`
    case 'comment_added':
      return 'commented'
    case 'comment_edited':
      return 'edited a comment'
    case 'comment_deleted':
      return 'deleted a comment'
    case 'attachment_added':
      return `attached ${String(newV.filename ?? 'a file')}`
    case 'attachment_deleted':
      return `removed ${String(oldV.filename ?? 'a file')}`
    case 'approval_requested':
      return `requested approval (${String(newV.workflow ?? 'workflow')})`
    case 'approval_decided': {
      const verb = newV.decision === 'reject' ? 'rejected' : 'approved'
      return `${verb}${newV.step_name ? ` at step “${String(newV.step_name)}”` : ''}`
    }
    case 'approval_cancelled':
      return 'cancelled the approval'
    case 'sla_started':
    case 'sla_paused':
    case 'sla_resumed':
    case 'sla_reopened':
    case 'sla_met':
    case 'sla_stopped':
    case 'sla_retargeted':
    case 'sla_recalculated':
    case 'sla_warning':
    case 'sla_breached':
    case 'sla_removed':
      return describeSla(e.kind.slice(4), newV)
    default:
      return label(e.kind).toLowerCase()
  }
}
