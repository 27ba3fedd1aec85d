import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { api, unwrap } from '@/api/client'
import type { Comment, CommentPage } from '@/api/models'
import { usePeopleStore } from './people'

export interface NewComment {
  body: string
  internal?: boolean
  parent_id?: number | null
}

/** Comments normalised by id, with each ticket's thread as an ordered list of ids. */
export const useCommentsStore = defineStore('comments', () => {
  const byId = reactive<Record<number, Comment>>({})
  const byTicket = reactive<Record<number, number[]>>({})

  const people = usePeopleStore()

  /** Live event payloads go to many readers, so their `permissions` are null: keep the ones REST gave. */
  function add(comment: Comment): void {
    people.remember(comment.author)
    const known = byId[comment.id]
    byId[comment.id] = comment.permissions || !known ? comment : { ...comment, permissions: known.permissions }
    const ids = byTicket[comment.ticket_id]
    if (ids && !ids.includes(comment.id)) ids.push(comment.id)
  }

  /** The whole conversation: every cursor page, oldest first. */
  async function fetchForTicket(ticketId: number): Promise<void> {
    const items: Comment[] = []
    let cursor: string | null = null
    do {
      const page: CommentPage = await unwrap(
        api.GET('/api/v1/tickets/{ticket_id}/comments', {
          params: { path: { ticket_id: ticketId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
        }),
      )
      items.push(...page.items)
      cursor = page.next_cursor
    } while (cursor)
    items.forEach((c) => {
      people.remember(c.author)
      byId[c.id] = c
    })
    byTicket[ticketId] = items.map((c) => c.id)
  }

  async function create(ticketId: number, body: NewComment): Promise<Comment> {
    const comment = await unwrap(
      api.POST('/api/v1/tickets/{ticket_id}/comments', {
        params: { path: { ticket_id: ticketId } },
        body: { body: body.body, internal: body.internal ?? false, parent_id: body.parent_id ?? null },
      }),
    )
    add(comment)
    return comment
  }

  async function edit(id: number, body: string): Promise<void> {
    add(await unwrap(api.PATCH('/api/v1/comments/{comment_id}', { params: { path: { comment_id: id } }, body: { body } })))
  }

  async function remove(id: number): Promise<void> {
    await unwrap(api.DELETE('/api/v1/comments/{comment_id}', { params: { path: { comment_id: id } } }))
    const existing = byId[id]
    if (existing) byId[id] = { ...existing, deleted: true, body: '', body_html: '' }
  }

  /** Top-level comments of a ticket, each with its replies (one level, API.md). */
  function thread(ticketId: number): { comment: Comment; replies: Comment[] }[] {
    const all = (byTicket[ticketId] ?? []).map((id) => byId[id]).filter((c): c is Comment => !!c)
    return all
      .filter((c) => c.parent_id === null)
      .map((comment) => ({ comment, replies: all.filter((r) => r.parent_id === comment.id) }))
  }

  return { byId, byTicket, add, fetchForTicket, create, edit, remove, thread }
})
