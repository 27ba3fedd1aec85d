import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LiveSocket, type EventFrame } from '@/live/socket'
import { FakeWebSocket, fakeJwt } from './helpers'

const NOW = 1_800_000_000

function setup(overrides: Partial<ConstructorParameters<typeof LiveSocket>[0]> = {}) {
  const events: EventFrame[] = []
  const ready: boolean[] = []
  const onAuthLost = vi.fn()
  let token: string | null = fakeJwt(NOW + 300)
  const socket = new LiveSocket({
    url: 'ws://test/ws/v1/events',
    getToken: vi.fn(async () => token),
    onEvent: (f) => events.push(f),
    onReady: ({ reconnected }) => ready.push(reconnected),
    onAuthLost,
    WebSocketImpl: FakeWebSocket as unknown as new (url: string) => WebSocket,
    random: () => 0.5,
    now: () => Date.now() / 1000,
    ...overrides,
  })
  return { socket, events, ready, onAuthLost, setToken: (t: string | null) => (token = t) }
}

async function connect(ws: FakeWebSocket): Promise<void> {
  ws.open()
  await vi.waitFor(() => expect(ws.framesOf('auth').length).toBeGreaterThan(0))
  ws.receive({ type: 'ready', user: { id: 1 } })
}

describe('LiveSocket', () => {
  beforeEach(() => {
    FakeWebSocket.reset()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    vi.setSystemTime(NOW * 1000)
  })
  afterEach(() => vi.useRealTimers())

  it('sends the auth frame first, then subscribes every topic once ready', async () => {
    const { socket, ready } = setup()
    socket.subscribe('tickets')
    socket.subscribe('ticket:7')
    socket.start()
    const ws = FakeWebSocket.last
    expect(ws.url).toBe('ws://test/ws/v1/events')
    ws.open()
    await vi.waitFor(() => expect(ws.sent[0]).toMatchObject({ type: 'auth' }))
    expect(ws.framesOf('subscribe')).toEqual([])
    ws.receive({ type: 'ready', user: { id: 1 } })
    expect(socket.status).toBe('open')
    expect(ws.framesOf('subscribe').map((f) => f.topic)).toEqual(['tickets', 'ticket:7'])
    expect(ready).toEqual([false])
  })

  it('routes event frames to the listener and subscribes new topics immediately', async () => {
    const { socket, events } = setup()
    socket.start()
    const ws = FakeWebSocket.last
    await connect(ws)
    socket.subscribe('ticket:9')
    expect(ws.framesOf('subscribe')).toEqual([{ type: 'subscribe', topic: 'ticket:9' }])
    ws.receive({ type: 'event', topic: 'ticket:9', event: 'ticket.updated', data: { id: 9 } })
    expect(events).toEqual([{ type: 'event', topic: 'ticket:9', event: 'ticket.updated', data: { id: 9 } }])
    socket.unsubscribe('ticket:9')
    expect(ws.framesOf('unsubscribe')).toEqual([{ type: 'unsubscribe', topic: 'ticket:9' }])
  })

  it('re-sends auth with a fresh token before the current one expires', async () => {
    const { socket, setToken } = setup({ refreshMarginS: 30 })
    socket.start()
    const ws = FakeWebSocket.last
    await connect(ws)
    expect(ws.framesOf('auth')).toHaveLength(1)
    const fresh = fakeJwt(NOW + 600)
    setToken(fresh)
    await vi.advanceTimersByTimeAsync(269_000)
    expect(ws.framesOf('auth')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(ws.framesOf('auth')).toHaveLength(2)
    expect(ws.framesOf('auth')[1]).toEqual({ type: 'auth', token: fresh })
  })

  it('reconnects with growing, jittered backoff, then resubscribes and reports the reconnect', async () => {
    const { socket, ready } = setup({ baseDelayMs: 1000, maxDelayMs: 8000 })
    socket.subscribe('tickets')
    socket.start()
    await connect(FakeWebSocket.last)

    FakeWebSocket.last.drop()
    expect(socket.status).toBe('reconnecting')
    // attempt 0: ceiling 1000 ms, equal jitter with random=0.5 → 750 ms
    await vi.advanceTimersByTimeAsync(749)
    expect(FakeWebSocket.instances).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(FakeWebSocket.instances).toHaveLength(2)

    FakeWebSocket.last.drop()
    // attempt 1: ceiling 2000 → 1500 ms
    await vi.advanceTimersByTimeAsync(1499)
    expect(FakeWebSocket.instances).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(FakeWebSocket.instances).toHaveLength(3)

    const ws = FakeWebSocket.last
    await connect(ws)
    expect(ws.framesOf('subscribe').map((f) => f.topic)).toEqual(['tickets'])
    expect(ready).toEqual([false, true])
    expect(socket.attempt).toBe(0)
  })

  it('keeps jitter within [ceiling/2, ceiling] and caps the ceiling', () => {
    const low = setup({ random: () => 0, baseDelayMs: 500, maxDelayMs: 30_000 }).socket
    const high = setup({ random: () => 0.999999, baseDelayMs: 500, maxDelayMs: 30_000 }).socket
    expect(low.backoffDelay(0)).toBe(250)
    expect(high.backoffDelay(0)).toBe(500)
    expect(low.backoffDelay(3)).toBe(2000)
    expect(high.backoffDelay(20)).toBe(30_000)
    expect(low.backoffDelay(20)).toBe(15_000)
  })

  it('gives up and reports when the server says 4401 and there is no token any more', async () => {
    const { socket, onAuthLost, setToken } = setup()
    socket.start()
    await connect(FakeWebSocket.last)
    setToken(null)
    FakeWebSocket.last.drop(4401)
    await vi.waitFor(() => expect(onAuthLost).toHaveBeenCalledTimes(1))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeWebSocket.instances).toHaveLength(1)
    expect(socket.status).toBe('closed')
  })

  it('retries after 4401 when a fresh token is available', async () => {
    const { socket, onAuthLost } = setup()
    socket.start()
    await connect(FakeWebSocket.last)
    FakeWebSocket.last.drop(4401)
    await vi.advanceTimersByTimeAsync(1000)
    expect(onAuthLost).not.toHaveBeenCalled()
    expect(FakeWebSocket.instances).toHaveLength(2)
  })

  it('drops a topic the server refuses', async () => {
    const { socket } = setup()
    socket.subscribe('ticket:404')
    socket.start()
    const ws = FakeWebSocket.last
    await connect(ws)
    ws.receive({ type: 'error', code: 'not_found', topic: 'ticket:404' })
    expect(socket.subscribedTopics).toEqual([])
  })

  it('stops cleanly: closes the socket and never reconnects', async () => {
    const { socket } = setup()
    socket.start()
    const ws = FakeWebSocket.last
    await connect(ws)
    socket.stop()
    expect(ws.closedWith).toBe(1000)
    ws.drop(1000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it('pings to keep the connection alive', async () => {
    const { socket } = setup({ pingIntervalMs: 10_000 })
    socket.start()
    const ws = FakeWebSocket.last
    await connect(ws)
    await vi.advanceTimersByTimeAsync(20_000)
    expect(ws.framesOf('ping')).toHaveLength(2)
  })
})
