import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { api, unwrap } from '@/api/client'
import type { Dashboard, DashboardQuery } from '@/api/models'

/** The dashboard's figures for the filters on screen; a refresh keeps the last figures visible. */
export const useReportsStore = defineStore('reports', () => {
  const dashboard = shallowRef<Dashboard | null>(null)
  const loading = ref(false)
  const error = ref('')
  const updatedAt = ref<Date | null>(null)
  let generation = 0
  let lastQuery: DashboardQuery | null = null

  async function fetchDashboard(query: DashboardQuery = lastQuery ?? {}): Promise<void> {
    const mine = ++generation
    const sameFilters = JSON.stringify(query) === JSON.stringify(lastQuery)
    lastQuery = query
    if (!sameFilters) dashboard.value = null
    loading.value = true
    error.value = ''
    try {
      const data = await unwrap(api.GET('/api/v1/reports/dashboard', { params: { query } }))
      if (mine !== generation) return
      dashboard.value = data
      updatedAt.value = new Date()
    } catch (e) {
      if (mine === generation) error.value = e instanceof Error ? e.message : 'Could not load the dashboard.'
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return { dashboard, loading, error, updatedAt, fetchDashboard }
})
