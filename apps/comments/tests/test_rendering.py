from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from apps.comments.mentions import mentioned_names
from apps.comments.rendering import render_body

XSS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '![x](x" onerror="alert(1))',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "`<script>` in code is text",
    "<style>body{display:none}</style>",
    "[x](vbscript:msgbox(1))",
]


class ActiveContent(HTMLParser):
    """Collects what a browser would act on: tags, event handlers, URLs in href/src."""

    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.urls = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if name in ("href", "src"):
                self.urls.append(value or "")


@pytest.mark.parametrize("body", XSS)
def test_payloads_come_back_inert(body):
    parser = ActiveContent()
    parser.feed(render_body(body))
    assert not parser.tags & {"script", "iframe", "svg", "style", "object", "embed", "form", "input"}
    assert parser.handlers == []
    for url in parser.urls:
        assert url.split(":", 1)[0].lower() in {"http", "https", "mailto"} or ":" not in url, url


def test_a_javascript_link_is_not_a_link():
    assert "<a" not in render_body("[click](javascript:alert(1))")
    assert "<a" not in render_body('<a href="javascript:alert(1)">x</a>')  # escaped, shown as text


def test_raw_html_is_shown_as_text_not_passed_through():
    assert render_body("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>\n"


def test_markdown_renders_and_links_are_safe():
    html = render_body("# Title\n\n*em* **strong** `code` ~~gone~~\n\n- a\n- b\n\n[docs](https://example.com/a?b=1)")
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html and "<code>code</code>" in html
    assert "<del>gone</del>" in html or "<s>gone</s>" in html
    assert "<li>a</li>" in html
    assert '<a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow">docs</a>' in html


def test_tables_render():
    html = render_body("| a | b |\n|---|--:|\n| 1 | 2 |")
    assert "<table>" in html and "<td" in html


@pytest.mark.parametrize(
    ("body", "handles", "emails"),
    [
        ("hi @alan, see @bea.", {"alan", "bea"}, set()),
        ("cc @Carl@Example.com.", set(), {"carl@example.com"}),
        ("mail me@example.com or @dave", {"dave"}, set()),
        ("no mentions here @ all", set(), set()),
        ("@first_line and (@paren)", {"first_line", "paren"}, set()),
    ],
)
def test_mentions_are_found(body, handles, emails):
    assert mentioned_names(body) == (handles, emails)


# --- Privacy: no third-party fetch (issue 10, item 3; the rule in apps/comments/rendering.py) ---------------

TRACKER = "https://tracker.example/p.gif?who=agent"
REMOTE_IMAGE_PAYLOADS = {
    "markdown image": f"![s]({TRACKER})",
    "markdown image, no alt": f"![]({TRACKER})",
    "markdown image with title": f'![s]({TRACKER} "hi")',
    "reference-style image": f"![s][pixel]\n\n[pixel]: {TRACKER}",
    "collapsed reference image": f"![pixel][]\n\n[pixel]: {TRACKER}",
    "shortcut reference image": f"![pixel]\n\n[pixel]: {TRACKER}",
    "raw img": f'<img src="{TRACKER}">',
    "raw img, single quotes": f"<img src='{TRACKER}' alt=x>",
    "raw picture/srcset": f'<picture><source srcset="{TRACKER}"><img src="{TRACKER}"></picture>',
    "autolink": f"<{TRACKER}>",
    "bare URL": TRACKER,
    "protocol-relative image": "![s](//tracker.example/p.gif)",
    "backslash image": "![s](/\\tracker.example/p.gif)",
    "http image": "![s](http://tracker.example/p.gif)",
    "image in a link": f"[![s]({TRACKER})](https://example.com/)",
    "image in a table": f"| a |\n|---|\n| ![s]({TRACKER}) |",
    "image in a list and quote": f"- > ![s]({TRACKER})",
    "entity-encoded URL": "![s](https&#58;//tracker.example/p.gif)",
    "css url in raw style": f'<p style="background:url({TRACKER})">x</p>',
    "link tag": f'<link rel="stylesheet" href="{TRACKER}">',
    "video poster": f'<video poster="{TRACKER}"></video>',
}


class Fetches(HTMLParser):
    """What a browser would fetch on its own when the HTML is inserted: src/srcset/poster/data of any
    element, href of <link>, url() in style. (A link's href is fetched only when clicked.)"""

    def __init__(self):
        super().__init__()
        self.fetched: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name in ("src", "srcset", "poster", "data", "background") or (tag == "link" and name == "href"):
                self.fetched.append(value)
            if name == "style" and "url(" in value:
                self.fetched.append(value)


@pytest.mark.parametrize("body", REMOTE_IMAGE_PAYLOADS.values(), ids=REMOTE_IMAGE_PAYLOADS.keys())
def test_no_payload_makes_the_browser_fetch_a_third_party_url(body, settings):
    """Whatever is fetched resolves (as a browser resolves it against the page) to our own host."""
    parser = Fetches()
    parser.feed(render_body(body))
    own = urlsplit(settings.SITE_URL)
    for url in parser.fetched:
        resolved = urlsplit(urljoin(settings.SITE_URL + "/tickets/1", url.replace("\\", "/")))
        assert (resolved.scheme, resolved.netloc) == (own.scheme, own.netloc), url


def test_a_remote_image_becomes_a_link_showing_its_alt_text():
    assert render_body(f"![the chart]({TRACKER})") == (
        '<p><a href="https://tracker.example/p.gif?who=agent" class="remote-image" '
        'rel="noopener noreferrer nofollow">the chart</a></p>\n'
    )
    # No alt text: the link shows the URL, so the reader sees where it points.
    assert ">https://tracker.example/p.gif?who=agent</a>" in render_body(f"![]({TRACKER})")
    # Inside a link, the link stays and the image's alt text is its label.
    assert render_body(f"[![logo]({TRACKER})](https://example.com/)") == (
        '<p><a href="https://example.com/" rel="noopener noreferrer nofollow">logo</a></p>\n'
    )


def test_images_on_our_own_origin_stay_images(settings):
    settings.SITE_URL = "https://help.example.org"
    assert render_body("![shot](/api/v1/attachments/7/download)") == (
        '<p><img src="/api/v1/attachments/7/download" alt="shot"></p>\n'
    )
    assert '<img src="https://help.example.org/logo.png"' in render_body("![l](https://help.example.org/logo.png)")
    # Another host, another scheme or a look-alike host is remote.
    for url in ("http://help.example.org/l.png", "https://help.example.org.evil.example/l.png", "//help.example.org/l"):
        assert "<img" not in render_body(f"![l]({url})"), url


def test_class_attribute_is_only_the_renderers_own():
    assert "<a" not in render_body('<a class="remote-image" href="https://x.example">x</a>')  # escaped text
    html = render_body("[x](https://x.example)")
    assert "class=" not in html


def test_the_migration_rerenders_stored_remote_images(db):
    import importlib

    from django.apps import apps as django_apps

    from apps.comments.models import Comment
    from apps.core.testing.factories import make_user
    from apps.tickets.tests.factories import make_ticket

    rerender = importlib.import_module("apps.comments.migrations.0005_rerender_remote_images").rerender
    user = make_user()
    ticket = make_ticket(user)
    old = Comment.objects.create(
        ticket=ticket, author=user, body=f"![s]({TRACKER})", body_html=f'<p><img src="{TRACKER}" alt="s"></p>\n'
    )
    plain = Comment.objects.create(ticket=ticket, author=user, body="hello", body_html="<p>hello</p>\n")
    mentioning_body = f"@alan ![s]({TRACKER})"
    mentioning = Comment.objects.create(
        ticket=ticket,
        author=user,
        body=mentioning_body,
        body_html=render_body(mentioning_body, {"alan": "Alan <A>"}).replace("<a href", "<img src"),
    )
    rerender(django_apps, None)
    for comment in (old, plain, mentioning):
        comment.refresh_from_db()
    assert old.body_html == render_body(old.body) and "<img" not in old.body_html
    assert plain.body_html == "<p>hello</p>\n"
    # Mentions keep the names they were rendered with.
    assert mentioning.body_html == render_body(mentioning_body, {"alan": "Alan <A>"})
    assert '<span class="mention" title="@alan">@Alan &lt;A&gt;</span>' in mentioning.body_html


def test_mentions_render_as_names_outside_code_only():
    html = render_body("Hi @alan and @Nobody, see `@alan` and @ALAN@example.com", {"alan": "Alan <b>Agent</b>"})
    assert html == (
        '<p>Hi <span class="mention" title="@alan">@Alan &lt;b&gt;Agent&lt;/b&gt;</span> and @Nobody, '
        "see <code>@alan</code> and @ALAN@example.com</p>\n"
    )


def test_a_writer_cannot_forge_a_mention_span():
    assert render_body('<span class="mention">@Boss</span>') == (
        '<p>&lt;span class="mention"&gt;@Boss&lt;/span&gt;</p>\n'
    )
