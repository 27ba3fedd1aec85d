/**
 * The staff queue table's pure rules: which columns exist and which the reader chose (kept in
 * localStorage), how a header click maps onto the server's `ordering`, and shift-click range
 * selection. The server decides every permission; nothing here re-derives one.
 */
import type { TicketOrdering } from '@/api/models'

export const COLUMNS = [
  { key: 'number', text: 'Number', sort: 'created' },
  { key: 'title', text: 'Title', sort: null },
  { key: 'status', text: 'Status', sort: null },
  { key: 'priority', text: 'Priority', sort: 'priority' },
  { key: 'requester', text: 'Requester', sort: null },
  { key: 'assignee', text: 'Assignee', sort: null },
  { key: 'team', text: 'Team', sort: null },
  { key: 'sla', text: 'SLA', sort: 'sla_due' },
  { key: 'updated', text: 'Updated', sort: 'updated' },
] as const

export type ColumnKey = (typeof COLUMNS)[number]['key']
export type SortKey = 'created' | 'priority' | 'sla_due' | 'updated'

/** Every ordering GET /tickets accepts (the OpenAPI enum of `ordering`). */
export const ORDERING_VALUES: readonly TicketOrdering[] = [
  'created', '-created', 'updated', '-updated', 'priority', '-priority', 'due', '-due', 'sla_due', '-sla_due',
]

const STORAGE_KEY = 'helpdesk.queue.columns'
/** Number and title are how a row is recognised and opened: always shown. */
const REQUIRED: ColumnKey[] = ['number', 'title']

/** The columns the reader chose last time, in table order; all of them when nothing (valid) is stored. */
export function loadColumns(storage: Pick<Storage, 'getItem'> = localStorage): ColumnKey[] {
  let stored: unknown = null
  try {
    stored = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')
  } catch {
    stored = null
  }
  if (!Array.isArray(stored)) return COLUMNS.map((c) => c.key)
  const chosen = new Set<string>([...stored.filter((s): s is string => typeof s === 'string'), ...REQUIRED])
  return COLUMNS.map((c) => c.key).filter((k) => chosen.has(k))
}

export function saveColumns(columns: ColumnKey[], storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(columns))
}

export function isRequired(key: ColumnKey): boolean {
  return REQUIRED.includes(key)
}

/**
 * The ordering after clicking a sortable header. A new column starts with its most useful
 * direction (SLA: due soonest; the others: newest/highest first); the same column flips.
 */
export function nextOrdering(current: TicketOrdering | '', key: SortKey): TicketOrdering {
  const descFirst = key !== 'sla_due'
  if (current === key) return `-${key}` as TicketOrdering
  if (current === `-${key}`) return key
  if (current === '' && key === 'created') return 'created' // '' already is newest first
  return (descFirst ? `-${key}` : key) as TicketOrdering
}

/** aria-sort for a header under the current ordering ('' = the server's newest first). */
export function sortState(current: TicketOrdering | '', key: SortKey): 'ascending' | 'descending' | 'none' {
  if (current === key) return 'ascending'
  if (current === `-${key}` || (current === '' && key === 'created')) return 'descending'
  return 'none'
}

/**
 * Selection after a checkbox click on `id` (now `checked`). With shift and a previous anchor in
 * the same list, every row between the anchor and `id` takes the clicked state.
 */
export function selectRange(
  selected: ReadonlySet<number>,
  ids: readonly number[],
  id: number,
  checked: boolean,
  anchor: number | null,
  shift: boolean,
): Set<number> {
  const next = new Set(selected)
  const to = ids.indexOf(id)
  const from = anchor === null ? -1 : ids.indexOf(anchor)
  const span = shift && from >= 0 && to >= 0 ? ids.slice(Math.min(from, to), Math.max(from, to) + 1) : [id]
  for (const x of span) {
    if (checked) next.add(x)
    else next.delete(x)
  }
  return next
}

/** True while the reader types: single-key shortcuts must not fire then. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || typeof el.tagName !== 'string') return false
  if (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes((el as HTMLInputElement).type)) return false
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)
}
