import { api } from '@/api/client'
import { browserTimeZone } from '@/lib/reports'
import { filterQuery, type TicketFilters } from '@/stores/tickets'

/**
 * Downloads GET /tickets/export for the list's filters. The SPA authenticates with a Bearer header,
 * which a plain link can't send, so the CSV is fetched (through the API client) and saved from a Blob.
 */
export async function downloadTicketsCsv(filters: TicketFilters): Promise<string> {
  const { data, response } = await api.GET('/api/v1/tickets/export', {
    params: { query: { ...filterQuery(filters), tz: browserTimeZone() } },
    parseAs: 'blob',
  })
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? 'tickets.csv'
  const url = URL.createObjectURL(data as Blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
