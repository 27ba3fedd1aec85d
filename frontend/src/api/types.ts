/** Domain vocabulary shared by stores and screens (API.md's fixed names). */
export const STATUSES = [
  'new',
  'open',
  'pending_approval',
  'approved',
  'rejected',
  'in_progress',
  'on_hold',
  'resolved',
  'closed',
] as const

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const

export const TICKET_TYPES = ['incident', 'service_request', 'change', 'question'] as const

/** 'pending_approval' → 'Pending approval' */
export function label(value: string): string {
  const text = value.replace(/_/g, ' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}
