import { describe, expect, it } from 'vitest'
import type { SlaClock } from '@/api/models'
import { clockView, duration, headlineClock } from '@/lib/sla'

const NOW = Date.parse('2026-03-02T10:00:00Z')

function clock(fields: Partial<SlaClock>): SlaClock {
  return { due_at: null, state: 'running', breached_at: null, warning_at: null, stopped_at: null, remaining_minutes: null, ...fields }
}

describe('SLA badge text', () => {
  it('formats whole minutes with two units at most', () => {
    expect(duration(35 * 60000)).toBe('35 min')
    expect(duration(59000)).toBe('< 1 min')
    expect(duration(120 * 60000)).toBe('2 h')
    expect(duration(80 * 60000 + 59000)).toBe('1 h 20 min')
    expect(duration((3 * 1440 + 4 * 60 + 7) * 60000)).toBe('3 d 4 h')
  })

  it('counts down, warns past the threshold and turns overdue when the due time passes', () => {
    const running = clock({ due_at: '2026-03-02T12:00:00Z', warning_at: '2026-03-02T11:30:00Z' })
    expect(clockView(running, NOW)).toEqual({ text: 'due in 2 h', tone: 'ok' })
    expect(clockView(running, Date.parse('2026-03-02T11:45:00Z'))).toEqual({ text: 'due in 15 min', tone: 'risk' })
    expect(clockView(running, Date.parse('2026-03-02T12:35:00Z'))).toEqual({ text: 'overdue 35 min', tone: 'breached' })
  })

  it('shows paused, met and late clocks as such', () => {
    expect(clockView(clock({ state: 'paused', remaining_minutes: 95 }), NOW)).toEqual({ text: 'paused · 1 h 35 min left', tone: 'paused' })
    expect(clockView(clock({ state: 'met', due_at: '2026-03-02T12:00:00Z' }), NOW)).toEqual({ text: 'met', tone: 'met' })
    const late = clock({ state: 'breached', due_at: '2026-03-02T09:00:00Z', stopped_at: '2026-03-02T09:20:00Z' })
    expect(clockView(late, NOW)).toEqual({ text: 'met late by 20 min', tone: 'breached' })
  })

  it('puts the running clock due first on the row', () => {
    const sla = {
      policy: 'Standard',
      first_response: clock({ state: 'met' }),
      resolution: clock({ due_at: '2026-03-02T16:00:00Z' }),
    }
    expect(headlineClock(sla)?.kind).toBe('resolution')
    const both = { ...sla, first_response: clock({ due_at: '2026-03-02T11:00:00Z' }) }
    expect(headlineClock(both)?.kind).toBe('first_response')
  })
})
