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
export type TicketUpdate = S['TicketUpdateIn']
export type BulkRequest = S['BulkIn']
export type BulkResult = S['BulkResultOut']

export type Dashboard = S['DashboardOut']
export type DashboardSla = S['SlaFiguresOut']
export type DashboardQuery = NonNullable<operations['apps_reports_api_dashboard']['parameters']['query']>

export type Macro = S['MacroOut']
export type MacroPreview = S['MacroPreviewOut']
export type MacroApplied = S['MacroApplyOut']
export type Comment = S['CommentOut']
export type CommentPage = S['CommentPage']
export type Attachment = S['AttachmentOut']
export type UploadInstructions = S['UploadOut']
export type Approval = S['ApprovalOut']
export type ApprovalDetail = S['ApprovalDetailOut']
export type ApprovalWorkflow = S['WorkflowOut']
export type Delegation = S['DelegationOut']
export type DelegationCreate = S['DelegationIn']

export type Notification = S['NotificationOut']
export type NotificationKind = Notification['kind']
export type NotificationSettings = S['NotificationSettingsOut']
export type NotificationSettingsChange = S['NotificationSettingsIn']
export type UnsubscribeLink = S['UnsubscribeOut']
export type Sla = S['SlaOut']
export type SlaClock = S['SlaClockOut']
export type TicketSla = S['TicketSlaOut']
export type TicketSlaClock = S['ClockDetailOut']

/** A websocket event frame: the union of every event's frame, discriminated by `event`. */
export type LiveEvent = S['LiveEvent']
