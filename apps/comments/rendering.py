"""Markdown source → HTML that is safe to insert into the SPA with v-html.

Two layers: markdown-it escapes any raw HTML in the source (html=False), then nh3 (ammonia)
keeps only an allow-list of tags, attributes and URL schemes, so no script, no event handler,
no `javascript:`/`data:` link survives even if the renderer had a bug.
"""

import html
from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from apps.comments.mentions import MENTION

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Mentions: <span class="mention" title="@handle">@Display Name</span>, made here, never by the writer.
MENTION_TAG = "span"


def _mention_html(handle: str, name: str) -> str:
    return f'<span class="mention" title="@{html.escape(handle)}">@{html.escape(name)}</span>'


def _with_mentions(tokens: list[Token], mentions: Mapping[str, str]) -> None:
    """Replaces `@handle` in plain text (not in code, not in link targets) by the person's name.

    `mentions` maps a lower-cased handle or email to the name to show; other @words stay text.
    """
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or "@" not in token.content:
                children.append(token)
                continue
            position = 0
            for match in MENTION.finditer(token.content):
                name = mentions.get(match.group("target").lower())
                if name is None:
                    continue
                if match.start() > position:
                    children.append(Token("text", "", 0, content=token.content[position : match.start()]))
                children.append(Token("html_inline", "", 0, content=_mention_html(match.group("target"), name)))
                position = match.end()
            if position < len(token.content):
                children.append(Token("text", "", 0, content=token.content[position:]))
        block.children = children


def render_body(body: str, mentions: Mapping[str, str] | None = None) -> str:
    """Sanitised HTML of a Markdown body; `mentions` (lower-cased handle or email → display name)
    turns those `@handle`s into name spans (apps.comments.services decides who qualifies)."""
    tokens = _markdown.parse(body)
    if mentions:
        _with_mentions(tokens, mentions)
    rendered = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        rendered,
        tags={*ALLOWED_TAGS, MENTION_TAG},
        attributes={**ALLOWED_ATTRIBUTES, MENTION_TAG: {"title"}},
        allowed_classes={MENTION_TAG: {"mention"}},
        url_schemes=ALLOWED_URL_SCHEMES,
        # Links in comments point anywhere: no referrer, no window.opener, no SEO credit.
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
