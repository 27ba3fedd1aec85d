import type { Sla, SlaClock } from '@/api/models'

/** How a clock reads at `now`: the words of its badge and the tone that colours it. */
export interface ClockView {
  text: string
  tone: 'ok' | 'risk' | 'breached' | 'paused' | 'met'
}

export const CLOCK_NAMES: Record<string, string> = { first_response: 'First response', resolution: 'Resolution' }

/** "35 min", "2 h", "1 h 20 min", "3 d 4 h": whole minutes, two units at most; "< 1 min" below. */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(Math.abs(ms) / 60000))
  if (minutes === 0) return '< 1 min'
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const rest = minutes % 60
  if (days) return hours ? `${days} d ${hours} h` : `${days} d`
  if (hours) return rest ? `${hours} h ${rest} min` : `${hours} h`
  return `${rest} min`
}

/**
 * A clock as words: running clocks count down ("due in 2 h") and turn "overdue 35 min" the moment
 * their due time passes, before the server's breach stamp arrives; at-risk is past the warning time.
 */
export function clockView(clock: SlaClock, now: number): ClockView {
  if (clock.state === 'met') return { text: 'met', tone: 'met' }
  if (clock.state === 'paused') {
    const left = clock.remaining_minutes
    return { text: left !== null && left !== undefined ? `paused · ${duration(left * 60000)} left` : 'paused', tone: 'paused' }
  }
  if (!clock.due_at) return { text: clock.state, tone: clock.state === 'breached' ? 'breached' : 'ok' }
  const due = new Date(clock.due_at).getTime()
  if (clock.stopped_at) return { text: `met late by ${duration(new Date(clock.stopped_at).getTime() - due)}`, tone: 'breached' }
  if (due <= now) return { text: `overdue ${duration(now - due)}`, tone: 'breached' }
  const warning = clock.warning_at ? new Date(clock.warning_at).getTime() : Infinity
  return { text: `due in ${duration(due - now)}`, tone: clock.state === 'breached' ? 'breached' : warning <= now ? 'risk' : 'ok' }
}

/** The clock a list row shows: the running one due first, else a paused one, else the resolution. */
export function headlineClock(sla: Sla): { kind: string; clock: SlaClock } | null {
  const clocks = (['first_response', 'resolution'] as const)
    .map((kind) => ({ kind, clock: sla[kind] }))
    .filter((c): c is { kind: 'first_response' | 'resolution'; clock: SlaClock } => !!c.clock)
  const running = clocks
    .filter((c) => c.clock.due_at && !c.clock.stopped_at && ['running', 'breached'].includes(c.clock.state))
    .sort((a, b) => new Date(a.clock.due_at as string).getTime() - new Date(b.clock.due_at as string).getTime())
  return running[0] ?? clocks.find((c) => c.clock.state === 'paused') ?? clocks.find((c) => c.kind === 'resolution') ?? null
}
