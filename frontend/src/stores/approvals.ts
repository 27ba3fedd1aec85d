import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import { api, unwrap, ApiError } from '@/api/client'
import { usePeopleStore } from './people'
import type { Approval, ApprovalDetail, ApprovalWorkflow, Delegation, DelegationCreate } from '@/api/models'

export type Decision = 'approve' | 'reject'

/** My approvals inbox, normalised by id, with optimistic decisions rolled back on conflict. */
export const useApprovalsStore = defineStore('approvals', () => {
  const people = usePeopleStore()
  const byId = reactive<Record<number, Approval>>({})
  const details = reactive<Record<number, ApprovalDetail>>({})
  const inbox = ref<number[]>([])
  const loading = ref(false)
  const error = ref('')
  const workflows = ref<ApprovalWorkflow[]>([])
  const delegations = ref<Delegation[]>([])

  const pendingCount = computed(() => inbox.value.length)
  const inboxItems = computed(() => inbox.value.map((id) => byId[id]).filter((a): a is Approval => !!a))

  async function fetchInbox(): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      const page = await unwrap(
        api.GET('/api/v1/approvals', { params: { query: { state: 'pending', mine: true, limit: 100 } } }),
      )
      const items = page.items
      items.forEach((a) => (byId[a.id] = a))
      inbox.value = items.map((a) => a.id)
    } catch (e) {
      error.value = e instanceof Error ? e.message : 'Could not load approvals.'
    } finally {
      loading.value = false
    }
  }

  async function fetchOne(id: number): Promise<ApprovalDetail> {
    const approval = await unwrap(api.GET('/api/v1/approvals/{approval_id}', { params: { path: { approval_id: id } } }))
    details[id] = approval
    people.remember(approval.requested_by, ...approval.steps.flatMap((st) => st.decisions.map((d) => d.approver)))
    return approval
  }

  /**
   * Remove the item from the inbox at once; put it back exactly where it was if the
   * server says no (409: someone else decided, the step moved on), then rethrow.
   */
  async function decide(id: number, decision: Decision, comment: string): Promise<void> {
    const index = inbox.value.indexOf(id)
    inbox.value = inbox.value.filter((x) => x !== id)
    try {
      await unwrap(
        api.POST('/api/v1/approvals/{approval_id}/decision', {
          params: { path: { approval_id: id } },
          body: { decision, comment },
        }),
      )
    } catch (e) {
      if (index >= 0 && !inbox.value.includes(id)) {
        const restored = [...inbox.value]
        restored.splice(Math.min(index, restored.length), 0, id)
        inbox.value = restored
      }
      if (e instanceof ApiError && e.isConflict) void fetchInbox()
      throw e
    }
  }

  /** The workflows the caller may start on this ticket (the API applies type/team and self-service rules). */
  async function fetchWorkflows(ticketId: number): Promise<void> {
    workflows.value = await unwrap(
      api.GET('/api/v1/tickets/{ticket_id}/approval-workflows', { params: { path: { ticket_id: ticketId } } }),
    )
  }

  async function start(ticketId: number, workflowId: number): Promise<void> {
    await unwrap(
      api.POST('/api/v1/tickets/{ticket_id}/approvals', {
        params: { path: { ticket_id: ticketId } },
        body: { workflow_id: workflowId },
      }),
    )
  }

  async function cancel(id: number): Promise<void> {
    await unwrap(api.POST('/api/v1/approvals/{approval_id}/cancel', { params: { path: { approval_id: id } }, body: {} }))
  }

  async function fetchDelegations(): Promise<void> {
    delegations.value = await unwrap(api.GET('/api/v1/approvals/delegations', { params: { query: {} } }))
  }

  async function createDelegation(body: DelegationCreate): Promise<void> {
    const created = await unwrap(api.POST('/api/v1/approvals/delegations', { body }))
    delegations.value = [...delegations.value, created]
  }

  async function deleteDelegation(id: number): Promise<void> {
    await unwrap(
      api.DELETE('/api/v1/approvals/delegations/{delegation_id}', { params: { path: { delegation_id: id } } }),
    )
    delegations.value = delegations.value.filter((d) => d.id !== id)
  }

  return {
    byId,
    details,
    inbox,
    inboxItems,
    loading,
    error,
    pendingCount,
    workflows,
    delegations,
    fetchInbox,
    fetchOne,
    decide,
    fetchWorkflows,
    start,
    cancel,
    fetchDelegations,
    createDelegation,
    deleteDelegation,
  }
})
