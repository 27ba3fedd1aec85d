import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router'
import { useAuthStore } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    title?: string
    /** for agents and admins; others land on their tickets */
    staff?: boolean
  }
}

/** Only same-origin app paths are valid return targets (no `//evil.example`). */
export function safeNext(value: unknown): string {
  const next = Array.isArray(value) ? value[0] : value
  if (typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in')) {
    return next
  }
  return '/'
}

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    {
      // The landing page: the dashboard for those the server lets read reports, else the tickets.
      path: '/',
      name: 'home',
      component: { render: () => null },
      beforeEnter: async () => {
        const auth = useAuthStore()
        await auth.init()
        return auth.mayViewReports ? { name: 'dashboard' } : { name: 'tickets' }
      },
    },
    {
      path: '/dashboard',
      name: 'dashboard',
      component: () => import('@/views/DashboardView.vue'),
      meta: { title: 'Dashboard', staff: true },
    },
    {
      path: '/sign-in',
      name: 'sign-in',
      component: () => import('@/views/SignInView.vue'),
      meta: { public: true, title: 'Sign in' },
    },
    {
      path: '/tickets',
      name: 'tickets',
      component: () => import('@/views/TicketListView.vue'),
      meta: { title: 'Tickets' },
    },
    {
      path: '/tickets/new',
      name: 'ticket-new',
      component: () => import('@/views/NewTicketView.vue'),
      meta: { title: 'New ticket' },
    },
    {
      path: '/tickets/:id(\\d+)',
      name: 'ticket',
      component: () => import('@/views/TicketDetailView.vue'),
      props: (route) => ({ id: Number(route.params.id) }),
      meta: { title: 'Ticket' },
    },
    {
      path: '/approvals',
      name: 'approvals',
      component: () => import('@/views/ApprovalsView.vue'),
      meta: { title: 'Approvals' },
    },
    {
      path: '/profile',
      name: 'profile',
      component: () => import('@/views/ProfileView.vue'),
      meta: { title: 'Profile' },
    },
    {
      path: '/unsubscribe/:token',
      name: 'unsubscribe',
      component: () => import('@/views/UnsubscribeView.vue'),
      props: (route) => ({ token: String(route.params.token) }),
      meta: { public: true, title: 'Email notifications' },
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/NotFoundView.vue'),
      meta: { public: true, title: 'Not found' },
    },
  ],
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

router.beforeEach(async (to): Promise<true | RouteLocationRaw> => {
  const auth = useAuthStore()
  await auth.init()
  if (to.name === 'sign-in' && auth.status === 'signed_in') return safeNext(to.query.next)
  if (to.meta.public) return true
  if (auth.status !== 'signed_in') return { name: 'sign-in', query: { next: to.fullPath } }
  // The server refuses reports to requesters (403); send them where their work is instead.
  if (to.meta.staff && !auth.mayViewReports) return { name: 'tickets' }
  return true
})

// After a deploy, an open tab may ask for a route chunk that no longer exists (hashed names):
// load the page afresh, which fetches the new index and its chunks.
router.onError((error, to) => {
  if (/dynamically imported module|Importing a module script failed|error loading dynamically/i.test(String(error))) {
    window.location.assign(to.fullPath)
  }
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Helpdesk` : 'Helpdesk'
})
