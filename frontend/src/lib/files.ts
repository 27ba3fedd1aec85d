/** Client-side copies of the server's default limits (API.md); the server has the last word. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024

export const ALLOWED_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/plain',
  'text/csv',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
]

const BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
}

/** The browser's type, or one guessed from the extension when the browser gives none. */
export function contentTypeOf(file: { name: string; type: string }): string {
  if (file.type) return file.type
  const ext = file.name.split('.').pop()?.toLowerCase() ?? ''
  return BY_EXTENSION[ext] ?? 'application/octet-stream'
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** Why this file can't be uploaded, or null when it can. */
export function fileProblem(file: { name: string; type: string; size: number }): string | null {
  if (file.size === 0) return `${file.name} is empty.`
  if (file.size > MAX_UPLOAD_BYTES) {
    return `${file.name} is ${formatBytes(file.size)}; the limit is ${formatBytes(MAX_UPLOAD_BYTES)}.`
  }
  const type = contentTypeOf(file)
  if (!ALLOWED_TYPES.includes(type)) return `${file.name}: files of type ${type} are not accepted.`
  return null
}

/** Raster images the browser shows inline: thumbnails and the viewer. SVG is never one (scripts). */
export const PREVIEW_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']
/** Larger images show a "View" button instead of loading a thumbnail up front. */
export const THUMBNAIL_MAX_BYTES = 5 * 1024 * 1024

export function isPreviewableImage(contentType: string): boolean {
  return PREVIEW_TYPES.includes(contentType.split(';')[0]!.trim().toLowerCase())
}
