import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, unwrap } from '@/api/client'
import type { Macro, MacroApplied, MacroPreview } from '@/api/models'
import { useCommentsStore } from './comments'
import { useTicketsStore } from './tickets'

/** Macros (canned replies) the signed-in person may use: the server decides which (docs/macros.md). */
export const useMacrosStore = defineStore('macros', () => {
  /** Whether the person has any macro at all: the composer offers the picker only then. */
  const available = ref<boolean | null>(null)

  async function search(q: string): Promise<Macro[]> {
    const page = await unwrap(api.GET('/api/v1/macros', { params: { query: { limit: 20, ...(q ? { q } : {}) } } }))
    if (!q) available.value = page.items.length > 0
    return page.items
  }

  async function ensureAvailability(): Promise<void> {
    if (available.value === null) await search('')
  }

  async function preview(ticketId: number, macroId: number): Promise<MacroPreview> {
    return unwrap(
      api.GET('/api/v1/tickets/{ticket_id}/macros/{macro_id}/preview', {
        params: { path: { ticket_id: ticketId, macro_id: macroId } },
      }),
    )
  }

  /** Posts the (edited) reply and makes the macro's actions in one request; stores what came back. */
  async function apply(ticketId: number, macroId: number, body: string): Promise<MacroApplied> {
    const applied = await unwrap(
      api.POST('/api/v1/tickets/{ticket_id}/macros/{macro_id}/apply', {
        params: { path: { ticket_id: ticketId, macro_id: macroId } },
        body: { body },
      }),
    )
    useCommentsStore().add(applied.comment)
    const tickets = useTicketsStore()
    tickets.storeDetail(applied.ticket)
    void tickets.fetchEvents(ticketId).catch(() => undefined)
    return applied
  }

  return { available, search, ensureAvailability, preview, apply }
})
