import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { api, unwrap } from '@/api/client'
import type { Attachment } from '@/api/models'
import { contentTypeOf, fileProblem, isPreviewableImage } from '@/lib/files'
import { uploadToStorage } from '@/lib/upload'

export type UploadState = 'uploading' | 'verifying' | 'done' | 'failed'

export interface UploadJob {
  key: number
  ticketId: number
  commentId: number | null
  file: File
  progress: number
  state: UploadState
  error: string
}

let nextKey = 1

export const useAttachmentsStore = defineStore('attachments', () => {
  const byTicket = reactive<Record<number, Attachment[]>>({})
  const uploads = ref<UploadJob[]>([])
  /** How to stop each running transfer, by job key (not state: nothing renders it). */
  const aborts = new Map<number, () => void>()

  function receive(ticketId: number, attachment: Attachment): void {
    const list = byTicket[ticketId]
    if (!list) return
    const i = list.findIndex((a) => a.id === attachment.id)
    if (i >= 0) list[i] = attachment
    else list.push(attachment)
  }

  function drop(ticketId: number, id: number): void {
    const list = byTicket[ticketId]
    if (list) byTicket[ticketId] = list.filter((a) => a.id !== id)
  }

  async function fetchForTicket(ticketId: number): Promise<void> {
    const page = await unwrap(
      api.GET('/api/v1/tickets/{ticket_id}/attachments', { params: { path: { ticket_id: ticketId } } }),
    )
    byTicket[ticketId] = page
  }

  function job(key: number): UploadJob | undefined {
    return uploads.value.find((j) => j.key === key)
  }

  async function run(key: number): Promise<void> {
    const current = job(key)
    if (!current) return
    Object.assign(current, { state: 'uploading', progress: 0, error: '' })
    try {
      const intent = await unwrap(
        api.POST('/api/v1/tickets/{ticket_id}/attachments', {
          params: { path: { ticket_id: current.ticketId } },
          body: {
            filename: current.file.name,
            content_type: contentTypeOf(current.file),
            size: current.file.size,
            ...(current.commentId ? { comment_id: current.commentId } : {}),
          },
        }),
      )
      const transfer = uploadToStorage(intent.upload, current.file, (fraction) => {
        const j = job(key)
        if (j) j.progress = Math.round(fraction * 100)
      })
      aborts.set(key, transfer.abort)
      try {
        await transfer.done
      } finally {
        aborts.delete(key)
      }
      current.state = 'verifying'
      const attachment = await unwrap(
        api.POST('/api/v1/attachments/{attachment_id}/complete', {
          params: { path: { attachment_id: intent.attachment.id } },
        }),
      )
      receive(current.ticketId, attachment)
      current.state = 'done'
    } catch (e) {
      current.state = 'failed'
      current.error = e instanceof Error ? e.message : 'Upload failed.'
    }
  }

  /** Check and upload each file; problems found before upload are reported, not sent. */
  function upload(ticketId: number, files: Iterable<File>, commentId: number | null = null): string[] {
    const problems: string[] = []
    for (const file of files) {
      const problem = fileProblem(file)
      if (problem) {
        problems.push(problem)
        continue
      }
      const key = nextKey++
      uploads.value.push({ key, ticketId, commentId, file, progress: 0, state: 'uploading', error: '' })
      void run(key)
    }
    return problems
  }

  function retry(key: number): void {
    if (job(key)?.state === 'failed') void run(key)
  }

  function cancel(key: number): void {
    aborts.get(key)?.()
  }

  function dismiss(key: number): void {
    cancel(key)
    uploads.value = uploads.value.filter((j) => j.key !== key)
  }

  /** An image attachment as an object URL for a thumbnail or the viewer (the caller revokes it).
   * The file comes through the same authorised download as any other (a short-lived link to our
   * storage), and is shown only when it really is a raster image of an allowed type. */
  async function imageUrl(attachment: Attachment): Promise<string> {
    const { data } = await api.GET('/api/v1/attachments/{attachment_id}/download', {
      params: { path: { attachment_id: attachment.id } },
      parseAs: 'blob',
    })
    if (!data || !isPreviewableImage(data.type || attachment.content_type)) throw new Error('Not an image.')
    return URL.createObjectURL(data)
  }

  async function download(attachment: Attachment): Promise<void> {
    const { data } = await api.GET('/api/v1/attachments/{attachment_id}/download', {
      params: { path: { attachment_id: attachment.id } },
      parseAs: 'blob',
    })
    if (!data) throw new Error('The download is not available.')
    const url = URL.createObjectURL(data)
    const link = document.createElement('a')
    link.href = url
    link.download = attachment.filename
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  async function remove(ticketId: number, id: number): Promise<void> {
    await unwrap(api.DELETE('/api/v1/attachments/{attachment_id}', { params: { path: { attachment_id: id } } }))
    drop(ticketId, id)
  }

  return { byTicket, uploads, receive, drop, fetchForTicket, upload, retry, cancel, dismiss, download, imageUrl, remove }
})
