import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { setAuthHooks } from '@/api/client'
import type { TicketDetail } from '@/api/models'
import TicketEditForm from '@/components/TicketEditForm.vue'
import { useAuthStore } from '@/stores/auth'
import { json } from './helpers'

const RITA = { id: 2, email: 'rita@example.com', name: 'Rita', username: 'rita', role: 'requester' }
const detail = (over: Partial<TicketDetail> = {}): TicketDetail =>
  ({
    id: 7, number: 'HD-7', title: 'Printer', description: 'Old text', status: 'open', priority: 'normal', type: 'incident',
    requester: RITA, assignee: null, team: null, tags: [], due_at: null, created_at: '', updated_at: '', version: 3,
    watchers: [], allowed_transitions: [], approval: null, resolved_at: null, closed_at: null, ...over,
  }) as TicketDetail

const fetchMock = vi.fn<(r: Request) => Promise<Response>>()

beforeEach(() => {
  setActivePinia(createPinia())
  useAuthStore().user = { id: 1, email: 'a@example.com', name: 'Agent', username: 'a', role: 'agent', teams: [], is_staff: false,
    permissions: { create_ticket_fields: ['title', 'description', 'priority', 'type', 'team_id', 'tags', 'due_at'], view_reports: true, admin_site: false } }
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  setAuthHooks({ getToken: async () => 't', onUnauthorized: () => undefined })
})
afterEach(() => vi.unstubAllGlobals())

describe('TicketEditForm', () => {
  it('on a stale version keeps my edit, takes their change, and saves against the new version', async () => {
    const patches: unknown[] = []
    fetchMock.mockImplementation(async (req) => {
      if (req.method === 'PATCH') {
        const body = (await req.json()) as { version: number }
        patches.push(body)
        if (body.version === 3) {
          return json({ code: 'stale_version', message: 'Someone changed this ticket since you loaded it.', details: { current_version: 4 } }, 409)
        }
        return json(detail({ version: 5, description: 'Their text', priority: 'urgent' }))
      }
      return json(detail({ version: 4, description: 'Their text' }))
    })
    const wrapper = mount(TicketEditForm, { props: { ticket: detail() } })
    await wrapper.get('#e-priority').setValue('urgent')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(wrapper.get('[role="alert"]').text()).toContain('Someone changed this ticket')
    expect((wrapper.get('#e-description').element as HTMLTextAreaElement).value).toBe('Their text')
    expect((wrapper.get('#e-priority').element as HTMLSelectElement).value).toBe('urgent')

    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(patches).toEqual([
      { version: 3, priority: 'urgent' },
      { version: 4, priority: 'urgent' },
    ])
    expect(wrapper.emitted('done')).toHaveLength(1)
  })

  it('shows server field errors in place', async () => {
    fetchMock.mockResolvedValue(
      json({ code: 'validation_error', message: 'Some fields are invalid.', details: { fields: { title: ['Too long.'] } } }, 422),
    )
    const wrapper = mount(TicketEditForm, { props: { ticket: detail() } })
    await wrapper.get('#e-title').setValue('x'.repeat(240))
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('#e-title').attributes('aria-invalid')).toBe('true')
    expect(wrapper.get('#e-title-error').text()).toBe('Too long.')
  })
})
