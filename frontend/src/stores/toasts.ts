import { defineStore } from 'pinia'
import { ref } from 'vue'

export type ToastKind = 'info' | 'success' | 'error'

export interface Toast {
  id: number
  kind: ToastKind
  message: string
}

let nextId = 1
// Toasts are rare (live/routeEvents.ts): never more than this many at once.
export const MAX_TOASTS = 3

export const useToastStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }

  function push(message: string, kind: ToastKind = 'info', timeoutMs = kind === 'error' ? 8000 : 5000): number {
    const id = nextId++
    toasts.value = [...toasts.value.slice(-(MAX_TOASTS - 1)), { id, kind, message }]
    if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs)
    return id
  }

  return { toasts, push, dismiss }
})
