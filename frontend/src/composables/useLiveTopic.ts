import { onScopeDispose, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { useLiveStore } from '@/stores/live'

/** Subscribe to a websocket topic for as long as the calling component (scope) lives. */
export function useLiveTopic(topic: MaybeRefOrGetter<string | null>): void {
  const live = useLiveStore()
  let release: (() => void) | null = null
  watch(
    () => toValue(topic),
    (next) => {
      release?.()
      release = next ? live.subscribe(next) : null
    },
    { immediate: true },
  )
  onScopeDispose(() => release?.())
}

/** Run `refetch` whenever the socket comes back after a drop (events may have been missed). */
export function useRefetchOnReconnect(refetch: () => void): void {
  const live = useLiveStore()
  onScopeDispose(live.onReconnect(refetch))
}
