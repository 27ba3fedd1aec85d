import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { mount, RouterLinkStub } from '@vue/test-utils'
import type { DashboardSla } from '@/api/models'
import SlaCompliance from '@/components/reports/SlaCompliance.vue'
import { setAuthHooks } from '@/api/client'
import { createRefresher, formatMinutes, formatPercent, presetRange } from '@/lib/reports'
import { useReportsStore } from '@/stores/reports'
import { emptyFilters } from '@/stores/tickets'
import { downloadTicketsCsv } from '@/lib/exportCsv'
import { json } from './helpers'

// jsdom has no canvas: the chart itself is the e2e story's to check.
vi.mock('@/lib/echarts', () => ({ VChart: { name: 'VChart', template: '<div class="vchart-stub" />' } }))

describe('dashboard helpers', () => {
  it('formats durations as people read them', () => {
    expect(formatMinutes(null)).toBe('—')
    expect(formatMinutes(0.4)).toBe('0 min')
    expect(formatMinutes(45)).toBe('45 min')
    expect(formatMinutes(60)).toBe('1 h')
    expect(formatMinutes(200)).toBe('3 h 20 m')
    expect(formatMinutes(1440 * 2 + 240)).toBe('2 d 4 h')
    expect(formatMinutes(1440 * 3)).toBe('3 d')
    expect(formatPercent(null)).toBe('—')
    expect(formatPercent(33.3)).toMatch(/^33[.,]3 %$/)
  })

  it('presets are the last N days ending today, both included', () => {
    expect(presetRange(7, new Date(2026, 2, 31))).toEqual({ from: '2026-03-25', to: '2026-03-31' })
    expect(presetRange(30, new Date(2026, 2, 1))).toEqual({ from: '2026-01-31', to: '2026-03-01' })
  })

  it('a burst of events becomes one refresh, then at most one per gap', () => {
    vi.useFakeTimers()
    const run = vi.fn()
    const refresher = createRefresher(run, { minGapMs: 3000, settleMs: 400 })
    for (let i = 0; i < 10; i++) refresher.poke()
    vi.advanceTimersByTime(399)
    expect(run).toHaveBeenCalledTimes(0)
    vi.advanceTimersByTime(1)
    expect(run).toHaveBeenCalledTimes(1)
    refresher.poke()
    vi.advanceTimersByTime(2000)
    expect(run).toHaveBeenCalledTimes(1) // within the gap after the last run
    vi.advanceTimersByTime(1000)
    expect(run).toHaveBeenCalledTimes(2)
    refresher.poke()
    refresher.cancel()
    vi.advanceTimersByTime(10_000)
    expect(run).toHaveBeenCalledTimes(2)
    vi.useRealTimers()
  })
})

const fetchMock = vi.fn<(r: Request) => Promise<Response>>()

beforeEach(() => {
  setActivePinia(createPinia())
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  setAuthHooks({ getToken: async () => 't', onUnauthorized: () => undefined })
})
afterEach(() => vi.unstubAllGlobals())

describe('reports store', () => {
  it('sends the period, zone and team; a refresh keeps the figures on screen', async () => {
    const body = { backlog: { total: 3 } }
    fetchMock.mockResolvedValue(json(body))
    const store = useReportsStore()
    await store.fetchDashboard({ from: '2026-03-01', to: '2026-03-30', tz: 'Europe/Berlin', team: 4 })
    const url = new URL(fetchMock.mock.calls[0]![0].url)
    expect(url.pathname).toBe('/api/v1/reports/dashboard')
    expect(Object.fromEntries(url.searchParams)).toEqual({ from: '2026-03-01', to: '2026-03-30', tz: 'Europe/Berlin', team: '4' })
    expect(fetchMock.mock.calls[0]![0].headers.get('Authorization')).toBe('Bearer t')
    expect(store.dashboard).toEqual(body)

    let release: (r: Response) => void = () => undefined
    fetchMock.mockReturnValueOnce(new Promise((resolve) => (release = resolve)))
    const refreshing = store.fetchDashboard()
    expect(store.dashboard).toEqual(body) // same filters: no blank screen while refreshing
    release(json({ backlog: { total: 4 } }))
    await refreshing
    expect(store.dashboard).toEqual({ backlog: { total: 4 } })
  })

  it('shows the server error', async () => {
    fetchMock.mockResolvedValue(json({ code: 'validation_error', message: 'Some fields are invalid.', details: {} }, 422))
    const store = useReportsStore()
    await store.fetchDashboard({ from: '2026-03-02', to: '2026-03-01' })
    expect(store.error).toBe('Some fields are invalid.')
    expect(store.loading).toBe(false)
  })
})

describe('CSV export', () => {
  it('asks for the list filters with a Bearer token and saves the server file name', async () => {
    fetchMock.mockResolvedValue(
      new Response('\ufeff"number"\r\n', {
        headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="helpdesk-tickets-x.csv"' },
      }),
    )
    const created = vi.fn(() => 'blob:x')
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }))
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    const name = await downloadTicketsCsv({ ...emptyFilters(), status: ['open', 'new'], q: ' vpn ', ordering: '-priority' })
    const request = fetchMock.mock.calls[0]![0]
    const url = new URL(request.url)
    expect(url.pathname).toBe('/api/v1/tickets/export')
    expect(url.searchParams.getAll('status')).toEqual(['open', 'new'])
    expect(url.searchParams.get('q')).toBe('vpn')
    expect(url.searchParams.get('ordering')).toBe('-priority')
    expect(url.searchParams.get('tz')).toBeTruthy()
    expect(request.headers.get('Authorization')).toBe('Bearer t')
    expect(name).toBe('helpdesk-tickets-x.csv')
    expect(created).toHaveBeenCalledOnce()
    expect(clicked).toHaveBeenCalledOnce()
  })
})

describe('SLA compliance panel', () => {
  const share = (met: number, breached: number, met_percent: number | null) => ({ met, breached, met_percent })
  const figures = (over: Partial<DashboardSla> = {}): DashboardSla => ({
    ...share(0, 0, null),
    first_response: share(0, 0, null),
    resolution: share(0, 0, null),
    breached_open: 0,
    policies_defined: true,
    by_policy: [],
    ...over,
  })
  const render = (sla: DashboardSla) =>
    mount(SlaCompliance, {
      props: { sla, periodText: 'Mar 28 – Mar 30' },
      global: { plugins: [createPinia()], stubs: { RouterLink: RouterLinkStub } },
    })

  it('says so when no policy exists', () => {
    const wrapper = render(figures({ policies_defined: false }))
    expect(wrapper.text()).toContain('No SLA policies yet')
    expect(wrapper.find('table').exists()).toBe(false)
  })

  it('still shows targets decided under policies deleted since', () => {
    const by_policy = [{ policy: 'Gone', ...share(1, 1, 50), first_response: share(1, 0, 100), resolution: share(0, 1, 0) }]
    const wrapper = render(figures({ ...share(1, 1, 50), policies_defined: false, by_policy }))
    expect(wrapper.text()).not.toContain('No SLA policies yet')
    expect(wrapper.text()).toContain('No policy is defined now')
    expect(wrapper.findAll('tbody tr')).toHaveLength(1)
  })

  it('with policies but nothing decided, still links to the breached open tickets', () => {
    const wrapper = render(figures({ breached_open: 2 }))
    expect(wrapper.text()).toContain('No SLA target was met or breached in this period.')
    const link = wrapper.getComponent(RouterLinkStub)
    expect(link.props('to')).toEqual({ name: 'tickets', query: { sla: 'breached' } })
    expect(link.text()).toBe('2 open tickets breached now')
  })

  it('shows met % per policy with a table of the same figures', () => {
    const wrapper = render(
      figures({
        ...share(6, 4, 60),
        first_response: share(4, 1, 80),
        resolution: share(2, 3, 40),
        breached_open: 1,
        by_policy: [
          { policy: 'Team A', ...share(4, 4, 50), first_response: share(3, 1, 75), resolution: share(1, 3, 25) },
          { policy: 'Urgent', ...share(2, 0, 100), first_response: share(1, 0, 100), resolution: share(1, 0, 100) },
        ],
      }),
    )
    const rows = wrapper.findAll('tbody tr').map((row) => row.findAll('th, td').map((cell) => cell.text()))
    expect(rows.map((row) => row.slice(0, 3))).toEqual([['Team A', '4', '4'], ['Urgent', '2', '0']])
    expect(rows[0]!.slice(3).map((cell) => cell.replace(/\s/g, ''))).toEqual(['50%', '75%', '25%'])
    expect(wrapper.find('tfoot').text()).toContain('All')
    expect(wrapper.find('[role="img"]').attributes('aria-label')).toContain('Team A 50 % (4 of 8)')
    expect(wrapper.getComponent(RouterLinkStub).text()).toBe('1 open ticket breached now')
  })
})
