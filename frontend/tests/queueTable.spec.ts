import { describe, expect, it } from 'vitest'
import { COLUMNS, isTyping, loadColumns, nextOrdering, saveColumns, selectRange, sortState } from '@/lib/queueTable'

function memory(): Storage {
  const data = new Map<string, string>()
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  } as Storage
}

describe('queue table columns', () => {
  it('shows every column until the reader chooses, then remembers the choice in table order', () => {
    const storage = memory()
    expect(loadColumns(storage)).toEqual(COLUMNS.map((c) => c.key))
    saveColumns(['updated', 'number', 'title', 'status'], storage)
    expect(loadColumns(storage)).toEqual(['number', 'title', 'status', 'updated'])
  })

  it('always keeps number and title and survives junk in storage', () => {
    const storage = memory()
    storage.setItem('helpdesk.queue.columns', JSON.stringify(['sla', 42, 'nope']))
    expect(loadColumns(storage)).toEqual(['number', 'title', 'sla'])
    storage.setItem('helpdesk.queue.columns', '{not json')
    expect(loadColumns(storage)).toEqual(COLUMNS.map((c) => c.key))
  })
})

describe('queue table sorting', () => {
  it('starts a column in its useful direction and flips on the second click', () => {
    expect(nextOrdering('', 'priority')).toBe('-priority')
    expect(nextOrdering('-priority', 'priority')).toBe('priority')
    expect(nextOrdering('priority', 'priority')).toBe('-priority')
    expect(nextOrdering('-priority', 'sla_due')).toBe('sla_due')
    expect(nextOrdering('sla_due', 'sla_due')).toBe('-sla_due')
    // '' is the server's newest first, so the number column's first click is oldest first.
    expect(nextOrdering('', 'created')).toBe('created')
  })

  it('reports aria-sort from the ordering', () => {
    expect(sortState('', 'created')).toBe('descending')
    expect(sortState('updated', 'updated')).toBe('ascending')
    expect(sortState('-updated', 'updated')).toBe('descending')
    expect(sortState('-updated', 'priority')).toBe('none')
  })
})

describe('queue table selection', () => {
  const ids = [10, 11, 12, 13, 14]
  it('selects one row, or a shift-click range from the anchor in either direction', () => {
    let s = selectRange(new Set(), ids, 11, true, null, false)
    expect([...s]).toEqual([11])
    s = selectRange(s, ids, 14, true, 11, true)
    expect([...s].sort()).toEqual([11, 12, 13, 14])
    s = selectRange(s, ids, 12, false, 14, true)
    expect([...s]).toEqual([11])
    // Without shift, or with an anchor no longer listed, only the clicked row changes.
    expect([...selectRange(new Set(), ids, 13, true, 10, false)]).toEqual([13])
    expect([...selectRange(new Set(), ids, 13, true, 99, true)]).toEqual([13])
  })

  it('treats text fields as typing but not checkboxes', () => {
    const input = document.createElement('input')
    expect(isTyping(input)).toBe(true)
    input.type = 'checkbox'
    expect(isTyping(input)).toBe(false)
    expect(isTyping(document.createElement('textarea'))).toBe(true)
    expect(isTyping(document.createElement('tr'))).toBe(false)
    expect(isTyping(null)).toBe(false)
  })
})
