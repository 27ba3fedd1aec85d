import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import { api, unwrap } from '@/api/client'
import type { Notification, NotificationKind, NotificationSettings } from '@/api/models'

const PAGE = 20

/** What each kind is called on the settings page, in the order it is shown. */
export const KIND_LABELS: Record<NotificationKind, string> = {
  assigned: 'Assigned to me',
  mentioned: 'Mentions of me',
  comment_added: 'New comments on tickets I follow',
  status_changed: 'Status changes of tickets I follow',
  approval_requested: 'Approvals requested from me',
  approval_reminder: 'Reminders of approvals waiting for me',
  approval_decided: 'Decisions on approvals I requested or that concern my tickets',
  sla_warning: 'SLA warnings',
  sla_breached: 'SLA breaches',
}

/** The notification centre: my notifications newest first (normalised by id), the unread count, settings. */
export const useNotificationsStore = defineStore('notifications', () => {
  const byId = reactive<Record<number, Notification>>({})
  const order = ref<number[]>([])
  const unreadCount = ref(0)
  const nextCursor = ref<string | null>(null)
  const loaded = ref(false)
  const loading = ref(false)
  const error = ref('')
  const settings = ref<NotificationSettings | null>(null)

  const items = computed(() => order.value.map((id) => byId[id]).filter((n): n is Notification => !!n))

  async function fetchFirst(): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      const page = await unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: PAGE } } }))
      page.items.forEach((n) => (byId[n.id] = n))
      order.value = page.items.map((n) => n.id)
      nextCursor.value = page.next_cursor
      unreadCount.value = page.unread_count
      loaded.value = true
    } catch (e) {
      error.value = e instanceof Error ? e.message : 'Could not load notifications.'
    } finally {
      loading.value = false
    }
  }

  async function fetchMore(): Promise<void> {
    if (!nextCursor.value || loading.value) return
    loading.value = true
    error.value = ''
    try {
      const page = await unwrap(
        api.GET('/api/v1/notifications', { params: { query: { limit: PAGE, cursor: nextCursor.value } } }),
      )
      page.items.forEach((n) => (byId[n.id] = n))
      order.value = [...order.value, ...page.items.map((n) => n.id).filter((id) => !order.value.includes(id))]
      nextCursor.value = page.next_cursor
      unreadCount.value = page.unread_count
    } catch (e) {
      error.value = e instanceof Error ? e.message : 'Could not load more notifications.'
    } finally {
      loading.value = false
    }
  }

  /** A live `notification.created`: newest first, counted once however often it arrives. */
  function receive(notification: Notification): boolean {
    if (byId[notification.id]) return false
    byId[notification.id] = notification
    order.value = [notification.id, ...order.value].sort((a, b) => b - a)
    if (!notification.read_at) unreadCount.value += 1
    return true
  }

  /** A live `notification.read` (another tab marked some read), or our own answer. */
  function applyRead(ids: number[] | 'all', count: number): void {
    const now = new Date().toISOString()
    for (const n of Object.values(byId)) {
      if (!n.read_at && (ids === 'all' || ids.includes(n.id))) n.read_at = now
    }
    unreadCount.value = count
  }

  async function markRead(ids: number[]): Promise<void> {
    const unread = ids.filter((id) => byId[id] && !byId[id].read_at)
    if (!unread.length) return
    const result = await unwrap(api.POST('/api/v1/notifications/read', { body: { ids: unread, all: false } }))
    applyRead(unread, result.unread_count)
  }

  async function markAllRead(): Promise<void> {
    const result = await unwrap(api.POST('/api/v1/notifications/read', { body: { all: true } }))
    applyRead('all', result.unread_count)
  }

  async function fetchSettings(): Promise<NotificationSettings> {
    settings.value = await unwrap(api.GET('/api/v1/users/me/notification-settings'))
    return settings.value
  }

  async function setChannel(kind: NotificationKind, channel: 'in_app' | 'email', on: boolean): Promise<void> {
    settings.value = await unwrap(
      api.PATCH('/api/v1/users/me/notification-settings', { body: { [kind]: { [channel]: on } } }),
    )
  }

  return {
    byId,
    items,
    unreadCount,
    nextCursor,
    loaded,
    loading,
    error,
    settings,
    fetchFirst,
    fetchMore,
    receive,
    applyRead,
    markRead,
    markAllRead,
    fetchSettings,
    setChannel,
  }
})
