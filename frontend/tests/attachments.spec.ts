import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setAuthHooks } from '@/api/client'
import { useAttachmentsStore } from '@/stores/attachments'
import { json } from './helpers'

/** Storage at the network boundary: each upload answers with the next queued status. */
class StorageXHR {
  static statuses: number[] = []
  static sent: { method: string; url: string }[] = []
  status = 0
  method = ''
  url = ''
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader() {}
  send() {
    StorageXHR.sent.push({ method: this.method, url: this.url })
    const status = StorageXHR.statuses.shift() ?? 200
    if (status === 0) return // hangs until aborted
    setTimeout(() => {
      this.upload.onprogress?.({ lengthComputable: true, loaded: 7, total: 14 } as ProgressEvent)
      this.status = status
      this.onload?.()
    }, 0)
  }
  abort() {
    this.onabort?.()
  }
}

const attachment = (id: number, status = 'pending') => ({
  id, ticket_id: 3, filename: 'r.pdf', content_type: 'application/pdf', size: 14, status, comment_id: null,
  internal: false, uploaded_by: null, created_at: '', completed_at: null,
})

const fetchMock = vi.fn<(r: Request) => Promise<Response>>()

beforeEach(() => {
  setActivePinia(createPinia())
  StorageXHR.statuses = []
  StorageXHR.sent = []
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  vi.stubGlobal('XMLHttpRequest', StorageXHR)
  setAuthHooks({ getToken: async () => 't', onUnauthorized: () => undefined })
  let intent = 0
  fetchMock.mockImplementation(async (req) => {
    const path = new URL(req.url).pathname
    if (path === '/api/v1/tickets/3/attachments' && req.method === 'GET') return json([])
    if (path === '/api/v1/tickets/3/attachments') {
      intent += 1
      return json({ attachment: attachment(intent), upload: { method: 'PUT', url: `/storage/${intent}`, headers: { 'Content-Type': 'application/pdf' }, expires_at: '' } }, 201)
    }
    const complete = /^\/api\/v1\/attachments\/(\d+)\/complete$/.exec(path)
    if (complete) return json(attachment(Number(complete[1]), 'available'))
    return json({ code: 'not_found', message: 'Not found.', details: {} }, 404)
  })
})
afterEach(() => vi.unstubAllGlobals())

const pdf = () => new File(['%PDF-1.4 hello'], 'r.pdf', { type: 'application/pdf' })

describe('attachments store', () => {
  it('declares, uploads to storage, completes, and lists the file', async () => {
    const store = useAttachmentsStore()
    await store.fetchForTicket(3)
    expect(store.upload(3, [pdf()])).toEqual([])
    await vi.waitFor(() => expect(store.uploads[0]?.state).toBe('done'))
    expect(store.uploads[0]?.progress).toBe(100)
    const declared = await fetchMock.mock.calls.map((c) => c[0]).find((r) => r.method === 'POST' && r.url.endsWith('/tickets/3/attachments'))!.json()
    expect(declared).toEqual({ filename: 'r.pdf', content_type: 'application/pdf', size: 14 })
    expect(StorageXHR.sent).toEqual([{ method: 'PUT', url: '/storage/1' }])
    expect(store.byTicket[3]?.map((a) => [a.id, a.status])).toEqual([[1, 'available']])
  })

  it('marks a refused upload failed and succeeds on retry with a fresh intent', async () => {
    StorageXHR.statuses = [500, 200]
    const store = useAttachmentsStore()
    await store.fetchForTicket(3)
    store.upload(3, [pdf()])
    await vi.waitFor(() => expect(store.uploads[0]?.state).toBe('failed'))
    expect(store.uploads[0]?.error).toMatch(/HTTP 500/)
    store.retry(store.uploads[0]!.key)
    await vi.waitFor(() => expect(store.uploads[0]?.state).toBe('done'))
    expect(StorageXHR.sent.map((s) => s.url)).toEqual(['/storage/1', '/storage/2'])
    expect(store.byTicket[3]?.map((a) => a.id)).toEqual([2])
  })

  it('cancels a running transfer; the file can be retried', async () => {
    StorageXHR.statuses = [0, 200]
    const store = useAttachmentsStore()
    await store.fetchForTicket(3)
    store.upload(3, [pdf()])
    await vi.waitFor(() => expect(StorageXHR.sent).toHaveLength(1))
    store.cancel(store.uploads[0]!.key)
    await vi.waitFor(() => expect(store.uploads[0]?.state).toBe('failed'))
    expect(store.uploads[0]?.error).toBe('The upload was cancelled.')
    store.retry(store.uploads[0]!.key)
    await vi.waitFor(() => expect(store.uploads[0]?.state).toBe('done'))
  })

  it('refuses bad files before any request', () => {
    const store = useAttachmentsStore()
    const problems = store.upload(3, [new File([''], 'empty.txt', { type: 'text/plain' }), new File(['MZ'], 'a.exe', { type: 'application/x-msdownload' })])
    expect(problems).toHaveLength(2)
    expect(store.uploads).toEqual([])
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('shows the server’s reason when the stored file fails verification', async () => {
    fetchMock.mockImplementation(async (req) => {
      const path = new URL(req.url).pathname
      if (path.endsWith('/complete')) {
        return json({ code: 'validation_error', message: 'The file is not a PDF.', details: { fields: { file: ['The file is not a PDF.'] } } }, 422)
      }
      return json({ attachment: attachment(1), upload: { method: 'PUT', url: '/storage/1', expires_at: '' } }, 201)
    })
    const store = useAttachmentsStore()
    store.upload(3, [pdf()])
    await vi.waitFor(() => expect(store.uploads[0]?.state).toBe('failed'))
    expect(store.uploads[0]?.error).toBe('The file is not a PDF.')
  })
})
