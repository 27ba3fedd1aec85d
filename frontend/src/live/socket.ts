import type { LiveEvent } from '@/api/models'
import { tokenExpiry } from '@/lib/jwt'

/** A server push, as API.md's websocket protocol sends it: one of the generated `LiveEvent`
 * frames (apps/live/schemas.py), whose `event` decides the type of `data`. */
export type EventFrame = LiveEvent

type ServerFrame =
  | EventFrame
  | { type: 'ready'; user: unknown }
  | { type: 'subscribed'; topic: string }
  | { type: 'unsubscribed'; topic: string }
  | { type: 'error'; code: string; topic?: string; message?: string }
  | { type: 'pong' }

export type LiveStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

type WebSocketCtor = new (url: string) => WebSocket

export interface LiveSocketOptions {
  url: string
  getToken: () => Promise<string | null>
  onEvent: (frame: EventFrame) => void
  /** Called on every `ready`; `reconnected` is true after the first, so callers refetch. */
  onReady?: (info: { reconnected: boolean }) => void
  onStatus?: (status: LiveStatus) => void
  /** The server refused us (4401) and there is no token to try again with. */
  onAuthLost?: () => void
  onTopicError?: (topic: string, code: string) => void
  WebSocketImpl?: WebSocketCtor
  random?: () => number
  now?: () => number
  baseDelayMs?: number
  maxDelayMs?: number
  /** Re-send `auth` this many seconds before the token's `exp`. */
  refreshMarginS?: number
  pingIntervalMs?: number
}

export const CLOSE_UNAUTHORIZED = 4401

/**
 * One websocket for the app: auth frame, re-auth before expiry, backoff-with-jitter
 * reconnects, and resubscription of every topic after each `ready`.
 */
export class LiveSocket {
  status: LiveStatus = 'idle'
  attempt = 0
  private ws: WebSocket | null = null
  private readonly topics = new Set<string>()
  private stopped = true
  private everReady = false
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private reauthTimer: ReturnType<typeof setTimeout> | null = null
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private readonly o: Required<Omit<LiveSocketOptions, 'onReady' | 'onStatus' | 'onAuthLost' | 'onTopicError'>> &
    LiveSocketOptions

  constructor(options: LiveSocketOptions) {
    this.o = {
      WebSocketImpl: globalThis.WebSocket,
      random: Math.random,
      now: () => Date.now() / 1000,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      refreshMarginS: 30,
      pingIntervalMs: 25_000,
      ...options,
    }
  }

  get subscribedTopics(): string[] {
    return [...this.topics]
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.everReady = false
    this.attempt = 0
    this.connect()
  }

  stop(): void {
    this.stopped = true
    this.clearTimers()
    const ws = this.ws
    this.ws = null
    if (ws && ws.readyState <= 1) ws.close(1000, 'client closing')
    this.setStatus('closed')
  }

  /** Connect now instead of waiting out the backoff (e.g. the browser came back online). */
  retryNow(): void {
    if (this.stopped || this.status !== 'reconnecting') return
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    this.connect()
  }

  subscribe(topic: string): void {
    if (this.topics.has(topic)) return
    this.topics.add(topic)
    if (this.status === 'open') this.send({ type: 'subscribe', topic })
  }

  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return
    if (this.status === 'open') this.send({ type: 'unsubscribe', topic })
  }

  /** Delay before reconnect attempt n: exponential, capped, with "equal jitter". */
  backoffDelay(attempt: number): number {
    const ceiling = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** attempt)
    return Math.round(ceiling / 2 + this.o.random() * (ceiling / 2))
  }

  private connect(): void {
    this.setStatus(this.everReady || this.attempt > 0 ? 'reconnecting' : 'connecting')
    const ws = new this.o.WebSocketImpl(this.o.url)
    this.ws = ws
    ws.onopen = () => {
      if (this.ws === ws) void this.authenticate(ws)
    }
    ws.onmessage = (message: MessageEvent) => {
      if (this.ws === ws) this.handle(message.data)
    }
    ws.onclose = (event: CloseEvent) => {
      if (this.ws === ws) void this.handleClose(event.code)
    }
  }

  private async authenticate(ws: WebSocket): Promise<void> {
    const token = await this.o.getToken()
    if (this.ws !== ws) return
    if (!token) {
      this.o.onAuthLost?.()
      this.stop()
      return
    }
    this.send({ type: 'auth', token })
    this.scheduleReauth(token)
  }

  private scheduleReauth(token: string): void {
    if (this.reauthTimer) clearTimeout(this.reauthTimer)
    this.reauthTimer = null
    const exp = tokenExpiry(token)
    if (exp === null) return
    const inMs = Math.max(1_000, (exp - this.o.refreshMarginS - this.o.now()) * 1000)
    this.reauthTimer = setTimeout(() => {
      const ws = this.ws
      if (ws && !this.stopped) void this.authenticate(ws)
    }, inMs)
  }

  private handle(raw: unknown): void {
    let frame: ServerFrame
    try {
      frame = JSON.parse(String(raw)) as ServerFrame
    } catch {
      return
    }
    switch (frame.type) {
      case 'ready': {
        const reconnected = this.everReady
        this.everReady = true
        this.attempt = 0
        if (this.status !== 'open') {
          this.setStatus('open')
          for (const topic of this.topics) this.send({ type: 'subscribe', topic })
          this.startPing()
          this.o.onReady?.({ reconnected })
        }
        break
      }
      case 'event':
        this.o.onEvent(frame)
        break
      case 'error':
        if (frame.topic) {
          this.topics.delete(frame.topic)
          this.o.onTopicError?.(frame.topic, frame.code)
        }
        break
      default:
        break
    }
  }

  private async handleClose(code: number): Promise<void> {
    this.clearTimers()
    this.ws = null
    if (this.stopped) return
    if (code === CLOSE_UNAUTHORIZED && !(await this.o.getToken())) {
      this.o.onAuthLost?.()
      this.stop()
      return
    }
    this.setStatus('reconnecting')
    const delay = this.backoffDelay(this.attempt)
    this.attempt += 1
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (!this.stopped) this.connect()
    }, delay)
  }

  private startPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = setInterval(() => this.send({ type: 'ping' }), this.o.pingIntervalMs)
  }

  private send(frame: Record<string, unknown>): void {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame))
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.reauthTimer) clearTimeout(this.reauthTimer)
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.reconnectTimer = this.reauthTimer = this.pingTimer = null
  }

  private setStatus(status: LiveStatus): void {
    if (this.status === status) return
    this.status = status
    this.o.onStatus?.(status)
  }
}
