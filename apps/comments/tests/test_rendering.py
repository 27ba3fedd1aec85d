from html.parser import HTMLParser

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
