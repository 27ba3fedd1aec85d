/**
 * The resource shapes screens and stores work with: the generated OpenAPI types, so a
 * backend change that breaks the SPA fails `vue-tsc` (and `npm run check:api` flags drift).
 */
import type { components, operations } from './schema'

type S = components['schemas']

export type Me = S['MeOut']
export type UserRef = S['UserOut']
export type TeamRef = S['TeamRef']
export type ApiToken = S['ApiTokenOut']
export type ApiTokenCreated = S['ApiTokenCreatedOut']
export type DevUser = S['DevUserOut']

export type Ticket = S['TicketListItem']
export type TicketDetail = S['TicketDetail']
export type TicketPage = S['TicketPage']
export type TicketEvent = S['TicketEventOut']
export type ApprovalSummary = NonNullable<TicketDetail['approval']>
export type TicketListQuery = NonNullable<operations['apps_tickets_api_ticket_list']['parameters']['query']>
export type TicketOrdering = NonNullable<TicketListQuery['ordering']>
export type TicketCreate = S['TicketCreateIn']

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
