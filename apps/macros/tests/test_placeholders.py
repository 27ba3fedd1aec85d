from apps.macros.placeholders import PLACEHOLDERS, escape_markdown, fill, unknown_placeholders


def test_fill_replaces_known_names_once_and_leaves_unknown_ones():
    values = {"ticket.number": "HD-7", "agent.name": "{{ticket.number}}"}
    body = "Re {{ ticket.number }}: {{agent.name}} here. {{secret_key}} {{ticket.number}}"
    # A value that looks like a placeholder is text: the pass never expands its own output.
    assert fill(body, values) == "Re HD-7: {{ticket.number}} here. {{secret_key}} HD-7"


def test_values_cannot_change_the_markdown_around_them():
    assert escape_markdown("[click](https://evil.example)") == r"\[click\](https://evil.example)"
    assert escape_markdown("**bold** <img src=x>") == r"\*\*bold\*\* \<img src=x\>"
    assert escape_markdown("# Heading") == r"\# Heading"
    assert escape_markdown("- item") == r"\- item"
    assert escape_markdown("1. first") == r"1\. first"
    assert escape_markdown("two\nlines\r\n\nhere") == "two lines here"
    assert escape_markdown("&lt;b&gt;") == r"\&lt;b\&gt;"
    # Ordinary names and keys stay as they are.
    assert escape_markdown("Jean-Luc O'Neil") == "Jean-Luc O'Neil"
    assert escape_markdown("HD-42") == "HD-42"


def test_unknown_placeholders_are_named_in_order_once():
    body = "{{ticket.title}} {{ settings.SECRET_KEY }} {{nope}} {{nope}} {{ticket.number}}"
    assert unknown_placeholders(body) == ["settings.SECRET_KEY", "nope"]
    assert unknown_placeholders(" ".join("{{" + name + "}}" for name in PLACEHOLDERS)) == []
