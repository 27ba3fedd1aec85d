/**
 * The resource shapes screens and stores work with: the generated OpenAPI types, so a
 * backend change that breaks the SPA fails `vue-tsc` (and `npm run check:api` flags drift).
 */
import type { components } from './schema'

type S = components['schemas']

export type Me = S['MeOut']
export type UserRef = S['UserOut']
export type TeamRef = S['TeamRef']
export type ApiToken = S['ApiTokenOut']
export type ApiTokenCreated = S['ApiTokenCreatedOut']
export type DevUser = S['DevUserOut']

export interface Ticket {
  id: number
  number: string
  title: string
  description?: string
  status: string
  priority: string
  type?: string
  requester: UserRef | null
  assignee: UserRef | null
  team: TeamRef | null
  created_at: string
  updated_at: string
  version: number
}

export interface ApprovalSummary {
  id: number
  state: string
  workflow?: string
  current_step?: number | null
  steps_total?: number
}

export interface TicketDetail extends Ticket {
  description: string
  allowed_transitions: string[]
  approval: ApprovalSummary | null
  watchers?: UserRef[]
}

export interface TicketPage {
  items: Ticket[]
  next_cursor: string | null
}

export interface TicketEvent {
  id: number
  kind: string
  actor: UserRef | null
  old?: unknown
  new?: unknown
  note?: string
  created_at: string
}

export interface Comment {
  id: number
  ticket_id: number
  author: UserRef | null
  body: string
  body_html: string
  internal: boolean
  parent_id: number | null
  created_at: string
  edited_at: string | null
  deleted?: boolean
}

export interface Attachment {
  id: number
  filename: string
  content_type: string
  size: number
  status: string
  comment_id: number | null
  uploaded_by?: UserRef | null
  created_at: string
}

export interface UploadInstructions {
  method: string
  url: string
  fields?: Record<string, string> | null
  headers?: Record<string, string> | null
  expires_at: string
}

export interface AttachmentIntent {
  attachment: Attachment
  upload: UploadInstructions
}

export interface ApprovalDecision {
  approver: UserRef
  decision: string | null
  comment: string
  decided_at: string | null
  on_behalf_of?: UserRef | null
}

export interface ApprovalStep {
  id: number
  order: number
  name: string
  rule: string
  state: string
  decisions: ApprovalDecision[]
}

export interface Approval {
  id: number
  state: string
  ticket: { id: number; number: string; title: string }
  workflow: { id: number; name: string }
  current_step: ApprovalStep | null
  steps?: ApprovalStep[]
  on_behalf_of?: UserRef | null
  created_at: string
}

export interface ApprovalWorkflow {
  id: number
  name: string
  description?: string
  active?: boolean
}

export interface Delegation {
  id: number
  delegate: UserRef
  starts_at: string
  ends_at: string
}
