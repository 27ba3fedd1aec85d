import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiError, apiErrorFromResponse } from './errors'

export { ApiError }

/** What the client needs from whoever owns the session (the auth store wires these). */
export interface AuthHooks {
  getToken: () => Promise<string | null>
  onUnauthorized: (error: ApiError) => void
}

let hooks: AuthHooks = {
  getToken: async () => null,
  onUnauthorized: () => undefined,
}

export function setAuthHooks(next: AuthHooks): void {
  hooks = next
}

/** Paths that must never carry a token nor trigger the signed-out flow. */
const PUBLIC_PATHS = ['/api/v1/health', '/api/v1/auth/dev/', '/api/v1/notifications/unsubscribe/']

function isPublic(url: string): boolean {
  const path = new URL(url, 'http://x').pathname
  return PUBLIC_PATHS.some((p) => path.startsWith(p))
}

export const authMiddleware: Middleware = {
  async onRequest({ request }) {
    if (isPublic(request.url)) return request
    // A session that can't produce a token sends none: the 401 then leads back to sign-in.
    const token = await hooks.getToken().catch(() => null)
    if (token) request.headers.set('Authorization', `Bearer ${token}`)
    return request
  },
}

export const errorMiddleware: Middleware = {
  async onResponse({ request, response }) {
    if (response.ok || (response.status >= 300 && response.status < 400)) return response
    const error = await apiErrorFromResponse(response)
    if (response.status === 401 && !isPublic(request.url)) hooks.onUnauthorized(error)
    throw error
  },
}

export function makeClient(baseUrl: string = globalThis.location?.origin ?? '') {
  // Resolve fetch per call (not once at import) so tests and instrumentation can replace it.
  const client = createClient<paths>({ baseUrl, fetch: (request) => globalThis.fetch(request) })
  client.use(authMiddleware, errorMiddleware)
  return client
}

export const api = makeClient()

/**
 * openapi-fetch returns `{data, error}`; the error middleware already throws on failure,
 * so a response reaching here carries data. Narrow it once for callers.
 */
export async function unwrap<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, response } = await promise
  if (data === undefined && response.status !== 204) throw await apiErrorFromResponse(response)
  return data as T
}
