import { createApp, watch } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import { useAuthStore } from './stores/auth'
import { useLiveStore } from './stores/live'
import { useApprovalsStore } from './stores/approvals'
import { useNotificationsStore } from './stores/notifications'
import { useToastStore } from './stores/toasts'
import { routeLiveEvents } from './live/routeEvents'
import { DevSession } from './auth/devSession'
import './styles.css'

async function boot(): Promise<void> {
  const app = createApp(App)
  app.use(createPinia())
  const auth = useAuthStore()
  const clerkKey = import.meta.env.VITE_CLERK_PUBLISHABLE_KEY
  if (clerkKey) {
    const { installClerk } = await import('./auth/clerkSession')
    auth.useProvider(installClerk(app, clerkKey))
  } else {
    auth.useProvider(new DevSession())
  }
  app.use(router)
  // A bug in a screen must not fail silently: log it and tell the user something went wrong.
  app.config.errorHandler = (error, _instance, info) => {
    console.error(`[helpdesk] ${info}:`, error)
    useToastStore().push('Something went wrong on this page. Reload if it keeps happening.', 'error')
  }

  const live = useLiveStore()
  routeLiveEvents(live)
  watch(
    () => auth.status,
    (status) => {
      if (status === 'signed_in') {
        live.start({ getToken: auth.getToken, onAuthLost: auth.expire })
        void useApprovalsStore().fetchInbox()
        void useNotificationsStore().fetchFirst()
      } else {
        live.stop()
      }
    },
    { immediate: true },
  )
  // A 401 anywhere (or the socket's 4401) signs us out: go to sign-in, then come back here.
  watch(
    () => auth.expired,
    (expired) => {
      const current = router.currentRoute.value
      if (expired && current.name !== 'sign-in') {
        void router.push({ name: 'sign-in', query: { next: current.fullPath } })
      }
    },
  )
  app.mount('#app')
}

void boot()
