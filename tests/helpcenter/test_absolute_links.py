"""Published HTML shown on another site (the public API) keeps its links to articles and its images working."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.helpcenter.markdown import absolute_links, render_html

ORIGIN = "https://desk.example.com"


def test_links_to_articles_and_images_become_absolute_and_nothing_else_changes() -> None:
    html = render_html(
        "See [returns](article:7), [the shop](https://shop.example/x), [below](#sizes) and "
        "[odd](//other.example/y).\n\n"
        "![A parcel](/help-images/abc.png)\n\n## Sizes",
        resolve=lambda article_id: f"/help/demo-shop/en/articles/returns-{article_id}",
    )
    shown = absolute_links(html, ORIGIN + "/")
    assert f'href="{ORIGIN}/help/demo-shop/en/articles/returns-7"' in shown
    assert f'src="{ORIGIN}/help-images/abc.png"' in shown
    assert 'href="https://shop.example/x"' in shown and 'href="#h-sizes"' in shown
    assert f"{ORIGIN}//other.example" not in shown


@given(st.text(max_size=300))
def test_only_root_relative_addresses_change_and_none_is_left(markdown: str) -> None:
    html = render_html(markdown + "\n\n[a](/help/x) ![b](/help-images/y.png)")
    shown = absolute_links(html, ORIGIN)
    assert not re.search(r'\s(?:href|src)="/(?!/)', shown)
    assert shown.replace(f'="{ORIGIN}/', '="/') == html
