import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, ref } from 'vue'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useLiveTopic, useRefetchOnReconnect } from '@/composables/useLiveTopic'
import { useLiveStore } from '@/stores/live'
import { FakeWebSocket, fakeJwt } from './helpers'

async function openSocket() {
  const live = useLiveStore()
  live.start({
    url: 'ws://x/ws/v1/events',
    getToken: async () => fakeJwt(Date.now() / 1000 + 600),
    onAuthLost: () => undefined,
    WebSocketImpl: FakeWebSocket as unknown as new (url: string) => WebSocket,
  })
  const ws = FakeWebSocket.last
  ws.open()
  await vi.waitFor(() => expect(ws.framesOf('auth')).toHaveLength(1))
  ws.receive({ type: 'ready', user: {} })
  return { live, ws }
}

describe('useLiveTopic', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    FakeWebSocket.reset()
  })
  afterEach(() => useLiveStore().stop())

  it('subscribes while the component lives, follows topic changes, unsubscribes on unmount', async () => {
    const { ws } = await openSocket()
    const id = ref(1)
    const refetch = vi.fn()
    const Screen = defineComponent({
      setup() {
        useLiveTopic(() => `ticket:${id.value}`)
        useRefetchOnReconnect(refetch)
        return () => h('p', 'ticket')
      },
    })
    const wrapper = mount(Screen)
    expect(ws.framesOf('subscribe')).toEqual([{ type: 'subscribe', topic: 'ticket:1' }])
    id.value = 2
    await nextTick()
    expect(ws.framesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', topic: 'ticket:1' }])
    expect(ws.framesOf('subscribe').map((f) => f.topic)).toEqual(['ticket:1', 'ticket:2'])
    wrapper.unmount()
    expect(ws.framesOf('unsubscribe').map((f) => f.topic)).toEqual(['ticket:1', 'ticket:2'])
    expect(refetch).not.toHaveBeenCalled()
  })

  it('subscribes topics requested before the socket is ready once it is', async () => {
    const Screen = defineComponent({
      setup() {
        useLiveTopic('tickets')
        return () => h('p')
      },
    })
    mount(Screen)
    const { ws } = await openSocket()
    expect(ws.framesOf('subscribe')).toEqual([{ type: 'subscribe', topic: 'tickets' }])
  })
})
