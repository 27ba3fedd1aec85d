import { describe, expect, it } from 'vitest'
import type { TicketEvent } from '@/api/models'
import { describeEvent } from '@/lib/activity'

const event = (kind: string, old: unknown = null, next: unknown = null) =>
  ({ id: 1, kind, actor: null, old, new: next, note: '', created_at: '2026-01-01T00:00:00Z' }) as TicketEvent

describe('describeEvent', () => {
  it('reads status changes and payloads as sentences', () => {
    expect(describeEvent(event('status_changed', 'new', 'pending_approval'))).toBe(
      'changed the status from new to pending approval',
    )
    expect(describeEvent(event('attachment_added', null, { attachment_id: 3, filename: 'smoke.png' }))).toBe(
      'attached smoke.png',
    )
    expect(describeEvent(event('approval_decided', null, { decision: 'reject', step_name: 'Manager' }))).toBe(
      'rejected at step “Manager”',
    )
    expect(describeEvent(event('updated', { priority: 'low' }, { priority: 'high', team_id: 2 }))).toBe(
      'changed priority, team',
    )
    expect(describeEvent(event('assigned', 4, null))).toBe('unassigned the ticket')
    expect(describeEvent(event('something_new'))).toBe('something new')
  })
})
