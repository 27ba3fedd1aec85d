import type { UploadInstructions } from '@/api/models'

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'UploadError'
  }
}

/**
 * Send a file straight to storage as the API's upload instructions say, reporting progress.
 * POST: multipart form with the presigned `fields` first and the file last (S3's rule).
 * PUT: the raw bytes with the signed `headers`. XMLHttpRequest because fetch has no
 * upload progress events.
 */
export function uploadToStorage(
  upload: UploadInstructions,
  file: Blob,
  onProgress: (fraction: number) => void,
  XHR: new () => XMLHttpRequest = XMLHttpRequest,
): { done: Promise<void>; abort: () => void } {
  const xhr = new XHR()
  const done = new Promise<void>((resolve, reject) => {
    const method = upload.method.toUpperCase()
    xhr.open(method, upload.url)
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1)
        resolve()
      } else {
        reject(new UploadError(`Storage refused the upload (HTTP ${xhr.status}).`, xhr.status))
      }
    }
    xhr.onerror = () => reject(new UploadError('The upload failed: network error.', 0))
    xhr.onabort = () => reject(new UploadError('The upload was cancelled.', 0))
    if (method === 'POST') {
      const form = new FormData()
      for (const [name, value] of Object.entries(upload.fields ?? {})) form.append(name, value)
      form.append('file', file)
      xhr.send(form)
    } else {
      for (const [name, value] of Object.entries(upload.headers ?? {})) {
        // Browsers set these themselves and refuse scripts that try.
        if (!['content-length', 'host'].includes(name.toLowerCase())) xhr.setRequestHeader(name, value)
      }
      xhr.send(file)
    }
  })
  return { done, abort: () => xhr.abort() }
}
