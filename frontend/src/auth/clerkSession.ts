import type { App } from 'vue'
import { clerkPlugin, getToken } from '@clerk/vue'
import type { SessionProvider } from './session'

interface ClerkGlobal {
  signOut: () => Promise<void>
  loaded?: boolean
  session?: unknown
}

/** Clerk-backed session; only loaded (a separate chunk) when a publishable key is set. */
export function installClerk(app: App, publishableKey: string): SessionProvider {
  app.use(clerkPlugin, { publishableKey })
  const clerk = (): ClerkGlobal | undefined => (window as unknown as { Clerk?: ClerkGlobal }).Clerk
  return {
    mode: 'clerk',
    getToken: () => getToken(),
    async restore() {
      return (await getToken()) !== null
    },
    async signOut() {
      await clerk()?.signOut()
    },
  }
}
