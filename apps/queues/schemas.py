from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from apps.accounts.schemas import TeamRef
from apps.core.fields import Id, InputSchema, PatchSchema, Text
from apps.queues.models import COLUMNS, DEFAULT_COLUMNS
from apps.queues.services import MAX_PERSONAL_VIEWS
from apps.tickets.schemas import Ordering

Column = Literal[COLUMNS]  # type: ignore[valid-type]
FILTERS_HELP = (
    "The ticket list's query string, e.g. `status=new,open&assignee=me`: any filter of GET /tickets "
    "(not ordering, cursor or limit), checked by the same rules; stored normalised"
)


def _distinct(columns: list[str] | None) -> list[str] | None:
    if columns is not None and len(set(columns)) != len(columns):
        raise ValueError("Give each column once.")
    return columns


def _named(name: str | None) -> str | None:
    if name is not None and not name.strip():
        raise ValueError("The name can't be blank.")
    return None if name is None else name.strip()


class ViewOut(Schema):
    key: str = Field(description="A built-in's name (my_open, ...) or a stored view's id as text")
    id: int | None = Field(description="The stored view's id; null for built-ins")
    name: str
    scope: Literal["builtin", "personal", "team"]
    team: TeamRef | None
    filters: str = Field(description=FILTERS_HELP)
    ordering: Ordering | None = Field(description="null: the list's default for these filters")
    columns: list[Column]
    editable: bool = Field(description="Whether the caller may change or delete it")


class ViewPage(Schema):
    items: list[ViewOut]
    next_cursor: str | None


class ViewCountsOut(Schema):
    counts: dict[str, int] = Field(
        description="Per view key: how many tickets GET /tickets lists with the view's filters, for every "
        "view of the caller's sidebar (built-ins, personal views, their teams' views)"
    )


class ViewCreateIn(InputSchema):
    name: Text = Field(min_length=1, max_length=100)
    filters: Text = Field("", max_length=2000, description=FILTERS_HELP)
    ordering: Ordering | None = None
    columns: list[Column] = Field(default_factory=lambda: list(DEFAULT_COLUMNS), min_length=1, max_length=len(COLUMNS))
    team_id: Id | None = Field(
        None,
        description=f"Admins only: a team view for the team's members (else a personal view, at most {MAX_PERSONAL_VIEWS})",
    )

    _name = field_validator("name")(classmethod(lambda cls, value: _named(value)))
    _columns = field_validator("columns")(classmethod(lambda cls, value: _distinct(value)))


class ViewUpdateIn(PatchSchema):
    name: Text = Field(None, min_length=1, max_length=100)
    filters: Text = Field(None, max_length=2000, description=FILTERS_HELP)
    ordering: Ordering | None = None
    columns: list[Column] = Field(None, min_length=1, max_length=len(COLUMNS))

    _name = field_validator("name")(classmethod(lambda cls, value: _named(value)))
    _columns = field_validator("columns")(classmethod(lambda cls, value: _distinct(value)))
