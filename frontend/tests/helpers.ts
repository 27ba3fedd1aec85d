/** A JWT-shaped token whose `exp` is `exp` (seconds); the signature is irrelevant to the client. */
export function fakeJwt(exp: number, sub = 'user_1'): string {
  const b64 = (v: object) => btoa(JSON.stringify(v)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub, exp })}.signature`
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/** A stand-in for the browser's WebSocket at the network boundary: records frames, lets tests drive events. */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = []
  static reset(): void {
    FakeWebSocket.instances = []
  }
  static get last(): FakeWebSocket {
    const ws = FakeWebSocket.instances[FakeWebSocket.instances.length - 1]
    if (!ws) throw new Error('no socket was opened')
    return ws
  }

  readyState = 0
  sent: Record<string, unknown>[] = []
  closedWith: number | null = null
  onopen: ((e: Event) => void) | null = null
  onmessage: ((e: MessageEvent) => void) | null = null
  onclose: ((e: CloseEvent) => void) | null = null

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this)
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }

  close(code = 1000): void {
    this.closedWith = code
    this.readyState = 3
  }

  /** Server side: */
  open(): void {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }

  receive(frame: object): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }))
  }

  drop(code = 1006): void {
    this.readyState = 3
    this.onclose?.({ code } as CloseEvent)
  }

  framesOf(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type)
  }
}
