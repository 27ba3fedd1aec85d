"""Attachments: intent → direct upload to storage → complete; list, download, delete.

The two URLs under /attachments/{id}/upload/local and /attachments/{id}/file exist only for the
local storage adapter and are authorised by their signed `sig`, not by a Bearer token.
"""

from dataclasses import asdict

from django.http import HttpRequest, HttpResponseRedirect
from ninja import Router
from ninja import Status as Respond

from apps.attachments import local_upload, selectors, services
from apps.attachments.schemas import AttachmentCreateIn, AttachmentIntentOut, AttachmentOut
from apps.core.fields import ParamId, Text
from apps.core.schemas import ErrorOut
from apps.tickets.permissions import access_ticket

router = Router(tags=["attachments"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}
LINK_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/tickets/{ticket_id}/attachments", response={201: AttachmentIntentOut, **WRITE_ERRORS})
def attachment_create(request: HttpRequest, ticket_id: ParamId, payload: AttachmentCreateIn):
    """Starts an upload: a `pending` attachment and instructions to send the bytes straight to storage.

    Then, per `upload.method`:
    - `POST`: `multipart/form-data` to `upload.url` with every entry of `upload.fields` (in order),
      then the file as the last part named `file`;
    - `PUT`: the raw bytes as the body of a PUT to `upload.url` with exactly `upload.headers`.

    Finally `POST /attachments/{id}/complete`. Size above ATTACHMENT_MAX_BYTES or a type outside
    ATTACHMENT_ALLOWED_TYPES is a 422 here; `comment_id` attaches the file to one of your comments
    (files of an internal note are internal too).
    """
    attachment, target = services.attachment_create(
        actor=request.auth, ticket_id=ticket_id, absolute_url=request.build_absolute_uri, **payload.dict()
    )
    return Respond(201, {"attachment": selectors.attachment_for_output(attachment.pk), "upload": asdict(target)})


@router.post("/attachments/{attachment_id}/complete", response={200: AttachmentOut, **WRITE_ERRORS})
def attachment_complete(request: HttpRequest, attachment_id: ParamId):
    """Checks the uploaded object: it exists, has exactly the declared size and type, and its first
    bytes match the type (PDF, PNG, JPEG, GIF, WebP, ZIP and Office files). Then the attachment is
    `available` and announced (`attachment.available`). Otherwise the object is deleted, the
    attachment `rejected`, and the answer is 422 `upload_rejected` with `details.reason`.
    Repeating a successful call returns the attachment again.
    """
    attachment = services.attachment_complete(actor=request.auth, attachment_id=attachment_id)
    return selectors.attachment_for_output(attachment.pk)


@router.get("/tickets/{ticket_id}/attachments", response={200: list[AttachmentOut], 404: ErrorOut})
def attachment_list(request: HttpRequest, ticket_id: ParamId):
    """Available files of the ticket, oldest first (those of internal notes for agents and admins only)."""
    ticket = access_ticket(request.auth, ticket_id)
    return selectors.ticket_attachments(user=request.auth, ticket=ticket)


@router.get("/attachments/{attachment_id}/download", response={302: None, 404: ErrorOut})
def attachment_download(request: HttpRequest, attachment_id: ParamId):
    """302 to a link valid for 5 minutes that downloads the file as an attachment with a safe filename."""
    url = selectors.attachment_download_url(
        user=request.auth, attachment_id=attachment_id, absolute_url=request.build_absolute_uri
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    return response


@router.delete("/attachments/{attachment_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def attachment_delete(request: HttpRequest, attachment_id: ParamId):
    """By the uploader or an admin; the stored object is deleted as well."""
    services.attachment_delete(actor=request.auth, attachment_id=attachment_id)
    return Respond(204, None)


LOCAL_UPLOAD_PATH = "/attachments/{attachment_id}/upload/local"


@router.put(LOCAL_UPLOAD_PATH, auth=None, response={204: None, **LINK_ERRORS}, url_name="attachment_local_upload")
def attachment_local_upload_put(request: HttpRequest, attachment_id: ParamId, sig: Text):
    """Local storage only: receives the raw bytes, as S3's presigned PUT would, with the given
    Content-Type and Content-Length. Single use; refused beyond the declared size or with another type."""
    local_upload.receive_put(request, attachment_id, sig)
    return Respond(204, None)


@router.post(LOCAL_UPLOAD_PATH, auth=None, response={204: None, **LINK_ERRORS})
def attachment_local_upload_post(request: HttpRequest, attachment_id: ParamId, sig: Text):
    """Local storage only: a multipart form with the given fields, then `file`, as S3's presigned
    POST would take. Single use; refused beyond the declared size or with another type."""
    local_upload.receive_post(request, attachment_id, sig)
    return Respond(204, None)


@router.get(
    "/attachments/{attachment_id}/file",
    auth=None,
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    url_name="attachment_local_file",
)
def attachment_local_file(request: HttpRequest, attachment_id: ParamId, sig: Text):
    """Local storage only: the file behind a signed download link (what /download redirects to)."""
    return local_upload.serve_download(attachment_id, sig)
