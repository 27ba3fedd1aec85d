import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { LiveSocket, type EventFrame, type LiveStatus } from '@/live/socket'

type Listener = (frame: EventFrame) => void
type ReconnectListener = () => void

export function liveUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/v1/events`
}

/** The app's one websocket; screens subscribe to topics, stores listen to events. */
export const useLiveStore = defineStore('live', () => {
  const status = ref<LiveStatus>('idle')
  const socket = shallowRef<LiveSocket | null>(null)
  const counts = new Map<string, number>()
  const listeners = new Set<Listener>()
  const reconnectListeners = new Set<ReconnectListener>()

  function onEvent(listener: Listener): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  function onReconnect(listener: ReconnectListener): () => void {
    reconnectListeners.add(listener)
    return () => reconnectListeners.delete(listener)
  }

  const online = () => socket.value?.retryNow()

  function start(options: {
    getToken: () => Promise<string | null>
    onAuthLost: () => void
    url?: string
    WebSocketImpl?: new (url: string) => WebSocket
  }): void {
    stop()
    const s = new LiveSocket({
      url: options.url ?? liveUrl(),
      getToken: options.getToken,
      ...(options.WebSocketImpl ? { WebSocketImpl: options.WebSocketImpl } : {}),
      onStatus: (next) => (status.value = next),
      onAuthLost: options.onAuthLost,
      onEvent: (frame) => listeners.forEach((l) => l(frame)),
      onReady: ({ reconnected }) => {
        if (reconnected) reconnectListeners.forEach((l) => l())
      },
    })
    for (const topic of counts.keys()) s.subscribe(topic)
    socket.value = s
    s.start()
    window.addEventListener('online', online)
  }

  function stop(): void {
    window.removeEventListener('online', online)
    socket.value?.stop()
    socket.value = null
    status.value = 'idle'
  }

  /** Reference-counted: two screens on the same topic share one subscription. */
  function subscribe(topic: string): () => void {
    counts.set(topic, (counts.get(topic) ?? 0) + 1)
    socket.value?.subscribe(topic)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (counts.get(topic) ?? 1) - 1
      if (left > 0) counts.set(topic, left)
      else {
        counts.delete(topic)
        socket.value?.unsubscribe(topic)
      }
    }
  }

  return { status, start, stop, subscribe, onEvent, onReconnect }
})
