import { describe, expect, it } from 'vitest'
import { fileProblem, contentTypeOf, MAX_UPLOAD_BYTES } from '@/lib/files'
import { uploadToStorage, UploadError } from '@/lib/upload'

class FakeXHR {
  static last: FakeXHR
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown = null
  status = 0
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  constructor() {
    FakeXHR.last = this
  }
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value
  }
  send(body: unknown) {
    this.body = body
  }
  abort() {
    this.onabort?.()
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent)
  }
  respond(status: number) {
    this.status = status
    this.onload?.()
  }
}

const XHR = FakeXHR as unknown as new () => XMLHttpRequest
const file = new File(['%PDF-1.4 hello'], 'report.pdf', { type: 'application/pdf' })

describe('uploadToStorage', () => {
  it('POSTs a multipart form with the presigned fields first and the file last', async () => {
    const progress: number[] = []
    const { done } = uploadToStorage(
      { method: 'POST', url: 'https://s3.test/bucket', fields: { key: 'k/1', policy: 'p' }, expires_at: '' },
      file,
      (f) => progress.push(f),
      XHR,
    )
    const xhr = FakeXHR.last
    expect(xhr.method).toBe('POST')
    const form = xhr.body as FormData
    expect([...form.keys()]).toEqual(['key', 'policy', 'file'])
    xhr.progress(5, 10)
    xhr.respond(204)
    await done
    expect(progress).toEqual([0.5, 1])
  })

  it('PUTs the raw file with the signed headers (minus the ones browsers own)', async () => {
    const { done } = uploadToStorage(
      { method: 'PUT', url: '/api/v1/attachments/upload/abc', headers: { 'Content-Type': 'application/pdf', 'Content-Length': '14' }, expires_at: '' },
      file,
      () => undefined,
      XHR,
    )
    const xhr = FakeXHR.last
    expect(xhr.method).toBe('PUT')
    expect(xhr.body).toBe(file)
    expect(xhr.headers).toEqual({ 'Content-Type': 'application/pdf' })
    xhr.respond(200)
    await done
  })

  it('rejects with the storage status when the upload is refused', async () => {
    const { done } = uploadToStorage({ method: 'PUT', url: '/x', expires_at: '' }, file, () => undefined, XHR)
    FakeXHR.last.respond(403)
    await expect(done).rejects.toEqual(new UploadError('Storage refused the upload (HTTP 403).', 403))
  })
})

describe('file checks before upload', () => {
  it('accepts allowed types within the limit', () => {
    expect(fileProblem(file)).toBeNull()
  })
  it('refuses empty, oversized and disallowed files with a reason', () => {
    expect(fileProblem({ name: 'e.txt', type: 'text/plain', size: 0 })).toMatch(/empty/)
    expect(fileProblem({ name: 'big.pdf', type: 'application/pdf', size: MAX_UPLOAD_BYTES + 1 })).toMatch(/limit is 25.0 MB/)
    expect(fileProblem({ name: 'x.exe', type: 'application/x-msdownload', size: 10 })).toMatch(/not accepted/)
  })
  it('guesses the type from the extension when the browser gives none', () => {
    expect(contentTypeOf({ name: 'notes.TXT', type: '' })).toBe('text/plain')
    expect(contentTypeOf({ name: 'blob', type: '' })).toBe('application/octet-stream')
  })
})
