import type { App } from 'vue'
import { clerkPlugin, getToken, useClerk } from '@clerk/vue'
import type { SessionProvider } from './session'

/** Clerk-backed session; only loaded (a separate chunk) when a publishable key is set. */
export function installClerk(app: App, publishableKey: string): SessionProvider {
  app.use(clerkPlugin, { publishableKey })
  // The plugin provides the Clerk instance to the app; read it in the app's context.
  const clerk = app.runWithContext(() => useClerk())
  return {
    mode: 'clerk',
    getToken: () => getToken(),
    async restore() {
      return (await getToken()) !== null
    },
    async signOut() {
      await clerk.value?.signOut()
    },
  }
}
