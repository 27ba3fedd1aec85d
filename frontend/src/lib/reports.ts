/** Helpers of the dashboard that don't touch the DOM or the network (unit-tested in tests/reports.spec.ts). */

/** The browser's IANA zone: the dashboard counts days where the reader lives. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/** A calendar date as YYYY-MM-DD, read in the browser's zone. */
export function isoDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

export const PERIOD_PRESETS = [7, 30, 90, 365] as const
export type PeriodPreset = (typeof PERIOD_PRESETS)[number]

/** The last `days` days ending today (both included). */
export function presetRange(days: number, today: Date = new Date()): { from: string; to: string } {
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1))
  return { from: isoDate(start), to: isoDate(today) }
}

/** "—", "45 min", "3 h 20 m", "2 d 4 h": durations as people read them, short enough for a tile. */
export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '—'
  const total = Math.round(minutes)
  if (total < 60) return `${total} min`
  const days = Math.floor(total / 1440)
  const hours = Math.floor((total % 1440) / 60)
  const mins = total % 60
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`
  return mins ? `${hours} h ${mins} m` : `${hours} h`
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value.toLocaleString(undefined, { maximumFractionDigits: 1 })} %`
}

/** "Mar 28" for an ISO date, read as a calendar day (no time zone shift). */
export function shortDay(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number)
  return new Date(y!, m! - 1, d!).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
}

/**
 * Runs `run` after the first poke, then at most once per `minGapMs` however often it is poked:
 * a burst of live events becomes one refresh, and a busy desk refreshes every few seconds, not
 * on every event. `settleMs` lets a burst arrive before the first run.
 */
export function createRefresher(run: () => void, { minGapMs = 3000, settleMs = 400 } = {}) {
  let timer: ReturnType<typeof setTimeout> | null = null
  let last = -Infinity
  return {
    poke(): void {
      if (timer) return
      const wait = Math.max(settleMs, last + minGapMs - Date.now())
      timer = setTimeout(() => {
        timer = null
        last = Date.now()
        run()
      }, wait)
    },
    cancel(): void {
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
}
