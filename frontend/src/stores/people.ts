import { defineStore } from 'pinia'
import { reactive } from 'vue'
import type { UserRef } from '@/api/models'

/**
 * Everyone the app has seen (requesters, assignees, authors, team members), by id. Events
 * carry only `actor_id`; this turns it into a name for "who changed what" toasts.
 */
export const usePeopleStore = defineStore('people', () => {
  const byId = reactive<Record<number, UserRef>>({})

  function remember(...users: (UserRef | null | undefined)[]): void {
    for (const user of users) if (user && typeof user.id === 'number') byId[user.id] = user
  }

  function nameOf(id: number | null | undefined): string | null {
    if (id === null || id === undefined) return null
    const user = byId[id]
    return user ? user.name || user.email : null
  }

  return { byId, remember, nameOf }
})
