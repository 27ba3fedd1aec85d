"""Markdown source → HTML that is safe to insert into the SPA with v-html.

Two layers: markdown-it escapes any raw HTML in the source (html=False), then nh3 (ammonia)
keeps only an allow-list of tags, attributes and URL schemes, so no script, no event handler,
no `javascript:`/`data:` link survives even if the renderer had a bug.

Privacy (issue 10, item 3): rendered Markdown never makes a reader's browser fetch a third-party
URL, so a comment can't track who reads it (`![](https://tracker.example/p.gif?who=agent)`).
A remote image becomes a link showing its alt text (or its URL when it has none): the reader sees
that an image was meant and can open it deliberately. Images whose URL is on our own origin
(a path like `/api/v1/attachments/7/download`, or an absolute URL under SITE_URL) stay images.
Dropping remote images would hide what the writer meant; proxying them through our origin would
make the server fetch arbitrary URLs for anyone (an SSRF surface and a cache to run) - a link is
the simplest choice that loses nothing. The rule is applied twice: the Markdown renderer's image
rule (Markdown images, reference-style images) and nh3's attribute filter, which drops any
non-local `src` that reaches it by another path. Raw `<img>` in the source is escaped as text;
autolinks and links are `<a>` (a browser fetches nothing until one is clicked); `style` keeps only
`text-align`, so no `url()` survives; no `srcset`, `background` or `<link>` is allowed.
"""

import html
from collections.abc import Mapping
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from markdown_it import MarkdownIt
from markdown_it.token import Token

from apps.comments.mentions import MENTION

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

LINK_REL = "noopener noreferrer nofollow"


def is_own_origin(url: str) -> bool:
    """True for a URL a browser resolves to our own origin: a root-relative path (`/x`, not the
    protocol-relative `//host/x`), or an absolute http(s) URL under SITE_URL's scheme and host.
    Relative paths without a leading slash and anything with another scheme are not."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return True
    site, target = urlsplit(settings.SITE_URL), urlsplit(url)
    return (target.scheme, target.netloc.lower()) == (site.scheme, site.netloc.lower()) and target.scheme in (
        "http",
        "https",
    )


def _image(renderer, tokens, index, options, env) -> str:
    """markdown-it's image rule: an image on our origin renders as `<img>`, any other as a link."""
    token = tokens[index]
    src = token.attrGet("src") or ""
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    title = token.attrGet("title")
    title_attr = f' title="{html.escape(title)}"' if title else ""
    if is_own_origin(src):
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}"{title_attr}>'
    label = alt.strip() or src
    inside_link = sum(+1 if t.type == "link_open" else -1 if t.type == "link_close" else 0 for t in tokens[:index])
    if inside_link:  # `[![alt](remote)](target)`: the link is already there, its label is the alt text
        return html.escape(label)
    return f'<a href="{html.escape(src)}" class="remote-image"{title_attr}>{html.escape(label)}</a>'


_markdown.add_render_rule("image", _image)

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


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """nh3's second lock: an `<img src>` off our origin is dropped (the image then loads nothing)."""
    if tag == "img" and attribute == "src" and not is_own_origin(value):
        return None
    return value


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
    turns those `@handle`s into name spans (apps.comments.services decides who qualifies).
    Pure: the same source and mentions always give the same HTML, so stored rows can be
    re-rendered when the rules change (a migration)."""
    tokens = _markdown.parse(body)
    if mentions:
        _with_mentions(tokens, mentions)
    rendered = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        rendered,
        tags={*ALLOWED_TAGS, MENTION_TAG},
        attributes={**ALLOWED_ATTRIBUTES, MENTION_TAG: {"title"}},
        allowed_classes={MENTION_TAG: {"mention"}, "a": {"remote-image"}},
        url_schemes=ALLOWED_URL_SCHEMES,
        # Links in comments point anywhere: no referrer, no window.opener, no SEO credit.
        link_rel=LINK_REL,
        filter_style_properties={"text-align"},
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )
