import { describe, expect, it } from 'vitest'
import type { TicketEvent } from '@/api/models'
import { describeEvent } from '@/lib/activity'

const event = (kind: string, old: unknown = null, next: unknown = null, names: Record<string, string> = {}) =>
  ({ id: 1, kind, actor: null, old, new: next, note: '', created_at: '2026-01-01T00:00:00Z', names }) as TicketEvent

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
    expect(
      describeEvent(
        event('updated', { priority: 'low', team_id: null }, { priority: 'high', team_id: 2 }, { 'team:2': 'Facilities' }),
      ),
    ).toBe('changed priority low → high, team no team → Facilities')
    expect(describeEvent(event('assigned', 4, null, { 'user:4': 'Alan Agent' }))).toBe('unassigned Alan Agent')
    expect(describeEvent(event('assigned', null, 4, { 'user:4': 'Alan Agent' }))).toBe('assigned to Alan Agent')
    expect(describeEvent(event('assigned', null, 9))).toBe('assigned to a removed person')
    expect(describeEvent(event('macro_applied', null, { macro_id: 1, name: 'Resolved' }))).toBe(
      'applied the macro “Resolved”',
    )
    expect(describeEvent(event('something_new'))).toBe('something new')
  })
})
