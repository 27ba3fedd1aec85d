"""Delegation: a user lets another decide their approvals for a period.

Not transitive: a delegate decides for their delegators, never for their delegators' delegators.
A user has at most one delegation per moment (windows of one delegator never overlap), so
"who stands in for X now" has one answer.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals.models import Delegation
from apps.core.errors import Conflict, NotFound, ValidationFailed


def active_delegations(at: datetime | None = None) -> QuerySet[Delegation]:
    at = at or timezone.now()
    return Delegation.objects.filter(starts_at__lte=at, ends_at__gt=at)


def delegator_ids_of(delegate: User) -> QuerySet:
    """Subquery: users for whom `delegate` may decide right now."""
    return active_delegations().filter(delegate=delegate).values("delegator_id")


def check_delegate(*, delegator: User, delegate: User | None) -> None:
    """An active user other than the delegator (ValidationFailed on `delegate_id`); the admin form asks too."""
    if delegate is None or not delegate.is_active:
        raise ValidationFailed({"delegate_id": "No such active user."})
    if delegate.pk == delegator.pk:
        raise ValidationFailed({"delegate_id": "You can't delegate to yourself."})


def check_window(*, delegator: User, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None) -> None:
    """A delegation ends after it starts, in the future, and overlaps no other of the delegator's
    (ValidationFailed, or Conflict `delegation_overlaps`). The admin form asks the same."""
    if ends_at <= starts_at:
        raise ValidationFailed({"ends_at": "The delegation must end after it starts."})
    if ends_at <= timezone.now():
        raise ValidationFailed({"ends_at": "The delegation must end in the future."})
    overlapping = Delegation.objects.filter(delegator=delegator, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_id is not None:
        overlapping = overlapping.exclude(pk=exclude_id)
    clash = overlapping.first()
    if clash is not None:
        raise Conflict(
            "You already delegate your approvals during part of this period.",
            code="delegation_overlaps",
            details={"delegation_id": clash.pk},
        )


@transaction.atomic
def delegation_create(
    *, actor: User, delegate_id: int, starts_at: datetime, ends_at: datetime, note: str = ""
) -> Delegation:
    # Serialise one delegator's changes so the overlap check can't be raced.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    delegate = User.objects.filter(pk=delegate_id, is_active=True).first()
    check_delegate(delegator=actor, delegate=delegate)
    check_window(delegator=actor, starts_at=starts_at, ends_at=ends_at)
    return Delegation.objects.create(
        delegator=actor, delegate=delegate, starts_at=starts_at, ends_at=ends_at, note=note
    )


def _own_delegation(actor: User, delegation_id: int, *, for_update: bool = False) -> Delegation:
    delegations = Delegation.objects.select_related("delegator", "delegate")
    if for_update:
        delegations = delegations.select_for_update(of=("self",))
    delegation = delegations.filter(pk=delegation_id, delegator=actor).first()
    if delegation is None:
        raise NotFound("No such delegation.")
    return delegation


@transaction.atomic
def delegation_update(*, actor: User, delegation_id: int, changes: dict) -> Delegation:
    User.objects.select_for_update().filter(pk=actor.pk).first()
    delegation = _own_delegation(actor, delegation_id, for_update=True)
    if "note" in changes:
        delegation.note = changes["note"]
    starts_at = changes.get("starts_at") or delegation.starts_at
    ends_at = changes.get("ends_at") or delegation.ends_at
    if (starts_at, ends_at) != (delegation.starts_at, delegation.ends_at):
        check_window(delegator=actor, starts_at=starts_at, ends_at=ends_at, exclude_id=delegation.pk)
        delegation.starts_at, delegation.ends_at = starts_at, ends_at
    delegation.save()
    return delegation


@transaction.atomic
def delegation_delete(*, actor: User, delegation_id: int) -> None:
    _own_delegation(actor, delegation_id, for_update=True).delete()


def delegation_list(*, actor: User, received: bool = False) -> QuerySet[Delegation]:
    """Delegations the actor gave (default) or received, soonest first."""
    mine = Delegation.objects.filter(delegate=actor) if received else Delegation.objects.filter(delegator=actor)
    return mine.select_related("delegator", "delegate")
