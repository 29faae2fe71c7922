"""Hidden "Check yourself" answers survive rendering; nothing else of raw HTML does."""

from coursegen_desktop.core.export.markdown_render import render_markdown_safe


def test_details_blocks_render_as_hidden_answers() -> None:
    html = render_markdown_safe("**Q?**\n\n<details><summary>Show answer</summary>\n\nIt is *glucose*.\n\n</details>\n")
    assert "<details><summary>Show answer</summary>" in html
    assert "<em>glucose</em>" in html and html.rstrip().endswith("</details>")
    assert "&lt;details" not in html


def test_markup_inside_details_stays_escaped() -> None:
    html = render_markdown_safe('<details><summary><img src=x onerror=alert(1)></summary><script>alert(2)</script></details>')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_unbalanced_details_is_plain_text() -> None:
    html = render_markdown_safe("<details><summary>Never closed</summary>\n\ntext")
    assert "<details>" not in html and "&lt;details&gt;" in html
