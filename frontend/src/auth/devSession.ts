import type { DevUser } from '@/api/models'
import { api, unwrap } from '@/api/client'
import { tokenExpiry } from '@/lib/jwt'
import type { SessionProvider } from './session'

const STORAGE_KEY = 'helpdesk.devSession'
/** Fetch a new token when the current one has less than this left. */
const REFRESH_MARGIN_S = 60

interface Stored {
  email: string
  token: string
}


export async function listDevUsers(): Promise<DevUser[]> {
  return unwrap(api.GET('/api/v1/auth/dev/users'))
}

/**
 * Local sign-in (AUTH_DEV_LOGIN=1): the server mints a Clerk-shaped JWT for a demo user.
 * The token is re-requested before its `exp`, as a Clerk session token would be refreshed.
 */
export class DevSession implements SessionProvider {
  readonly mode = 'dev' as const
  private current: Stored | null = null
  private pending: Promise<string> | null = null

  constructor(
    private readonly storage: Storage = window.localStorage,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  get email(): string | null {
    return this.current?.email ?? null
  }

  async restore(): Promise<boolean> {
    const raw = this.storage.getItem(STORAGE_KEY)
    if (!raw) return false
    try {
      const parsed = JSON.parse(raw) as Partial<Stored>
      if (typeof parsed.email !== 'string' || typeof parsed.token !== 'string') return false
      this.current = { email: parsed.email, token: parsed.token }
      return true
    } catch {
      this.storage.removeItem(STORAGE_KEY)
      return false
    }
  }

  async signIn(email: string): Promise<void> {
    this.current = null
    await this.fetchToken(email)
  }

  async getToken(): Promise<string | null> {
    if (!this.current) return null
    const exp = tokenExpiry(this.current.token)
    if (exp !== null && exp - this.now() > REFRESH_MARGIN_S) return this.current.token
    return this.fetchToken(this.current.email)
  }

  async signOut(): Promise<void> {
    this.current = null
    this.storage.removeItem(STORAGE_KEY)
  }

  private fetchToken(email: string): Promise<string> {
    if (!this.pending) {
      this.pending = unwrap(api.POST('/api/v1/auth/dev/token', { body: { email } }))
        .then((data) => {
          this.current = { email, token: data.access_token }
          this.storage.setItem(STORAGE_KEY, JSON.stringify(this.current))
          return data.access_token
        })
        .finally(() => {
          this.pending = null
        })
    }
    return this.pending
  }
}
