import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { api, ApiError, setAuthHooks, unwrap } from '@/api/client'
import type { Me } from '@/api/models'
import type { SessionProvider } from '@/auth/session'
import { DevSession } from '@/auth/devSession'

export type AuthStatus = 'unknown' | 'signed_in' | 'signed_out'

export const useAuthStore = defineStore('auth', () => {
  const provider = shallowRef<SessionProvider | null>(null)
  const user = ref<Me | null>(null)
  const status = ref<AuthStatus>('unknown')
  /** Set when the server rejected our token: the sign-in page explains why you are there. */
  const expired = ref(false)
  let initialising: Promise<void> | null = null

  // What the caller may do beyond single objects: the server's flags (GET /users/me `permissions`),
  // never re-derived from the role.
  const mayViewReports = computed(() => !!user.value?.permissions.view_reports)
  const mayUseAdminSite = computed(() => !!user.value?.permissions.admin_site)
  const ticketFields = computed(() => user.value?.permissions.create_ticket_fields ?? [])
  const mode = computed(() => provider.value?.mode ?? 'dev')

  function useProvider(next: SessionProvider): void {
    provider.value = next
    setAuthHooks({
      getToken: () => next.getToken(),
      onUnauthorized: () => expire(),
    })
  }

  async function loadMe(): Promise<void> {
    user.value = await unwrap(api.GET('/api/v1/users/me'))
    status.value = 'signed_in'
    expired.value = false
  }

  /** Resolve the session once at start-up; route guards await this. */
  function init(): Promise<void> {
    if (!initialising) {
      initialising = (async () => {
        const p = provider.value
        if (!p || !(await p.restore())) {
          status.value = 'signed_out'
          return
        }
        try {
          await loadMe()
        } catch (e) {
          await p.signOut()
          user.value = null
          status.value = 'signed_out'
          expired.value = e instanceof ApiError && e.status === 401
        }
      })()
    }
    return initialising
  }

  async function signInDev(email: string): Promise<void> {
    const p = provider.value
    if (!(p instanceof DevSession)) throw new Error('Dev sign-in is not enabled')
    await p.signIn(email)
    await loadMe()
  }

  /** After Clerk's <SignIn/> completes, pick up the new session. */
  async function completeExternalSignIn(): Promise<void> {
    await loadMe()
  }

  async function signOut(): Promise<void> {
    await provider.value?.signOut()
    user.value = null
    status.value = 'signed_out'
    expired.value = false
  }

  function expire(): void {
    if (status.value !== 'signed_in') return
    void provider.value?.signOut()
    user.value = null
    status.value = 'signed_out'
    expired.value = true
  }

  async function getToken(): Promise<string | null> {
    return provider.value ? provider.value.getToken() : null
  }

  return {
    provider,
    user,
    status,
    expired,
    mayViewReports,
    mayUseAdminSite,
    ticketFields,
    mode,
    useProvider,
    init,
    loadMe,
    signInDev,
    completeExternalSignIn,
    signOut,
    expire,
    getToken,
  }
})
