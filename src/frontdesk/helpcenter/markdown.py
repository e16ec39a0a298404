"""Articles' Markdown to safe HTML (and to plain text, for search snippets).

Markdown is CommonMark (markdown-it-py) with tables and strikethrough; headings get ids so a link can point
at a section. Raw HTML in the Markdown is not rendered, and the result passes nh3 with a short allow-list
anyway: an editor's text is shown to the public, and a pasted ``<script>`` or ``javascript:`` link must not
reach a visitor. Links to other articles are written ``[text](article:42)`` and resolved at publication to
the other article's address in the same language (``resolve`` answers ``None`` for an unknown or unpublished
article: the link is then left as plain text).
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.anchors.index import slugify

# Heading ids are prefixed so an article's text cannot produce an id the page or the widget already uses
# ("vote", "search"…: duplicate ids and DOM clobbering). Same-page links ``#returns`` are rewritten to match.
HEADING_ID_PREFIX = "h-"

ARTICLE_LINK = re.compile(r"^article:(\d{1,18})$")

_ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "h2", "h3", "h4", "ul", "ol", "li", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "th": {"align"},
    "td": {"align"},
}
_BLOCK_END = re.compile(r"</(p|h2|h3|h4|li|pre|blockquote|tr|table)>|<br>|<hr>")
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t]+")

Resolver = Callable[[int], str | None]


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    # Articles start below the page's own <h1> (the title): Markdown "#" headings are shifted down one level.
    parser.use(anchors_plugin, min_level=1, max_level=4, slug_func=_heading_id)
    return parser


def _heading_id(title: str) -> str:
    return HEADING_ID_PREFIX + slugify(title)


_PARSER = _parser()
_HEADING_ID = re.compile(r'<h[1-5] id="([^"]*)"')


def _prefix_fragment_links(html: str) -> str:
    """``href="#returns"`` -> ``href="#h-returns"``; a link already naming a heading's id is left as it is."""
    ids = set(_HEADING_ID.findall(html))

    def replace(match: re.Match[str]) -> str:
        fragment = match.group(1)
        if fragment in ids and HEADING_ID_PREFIX + fragment not in ids:
            return match.group(0)
        return f'<a href="#{HEADING_ID_PREFIX}{fragment}"'

    return re.sub(r'<a href="#([^"]*)"', replace, html)


def _shift_headings(html: str) -> str:
    return re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 4)}", html)


def _resolve_links(html: str, resolve: Resolver | None) -> str:
    def replace(match: re.Match[str]) -> str:
        target = ARTICLE_LINK.match(match.group(1))
        if target is None:
            return match.group(0)
        url = resolve(int(target.group(1))) if resolve else None
        return f'<a href="{url}"' if url else "<a"

    return re.sub(r'<a href="([^"]*)"', replace, html)


# A root-relative address in a link or an image (``/help/…``, ``/help-images/…``), not a scheme-relative ``//host``.
_ROOT_RELATIVE = re.compile(r'(<(?:a|img)\b[^>]*?\s(?:href|src)=")/(?!/)')


def absolute_links(html: str, origin: str) -> str:
    """Published HTML for a page on another host: its links to other articles and its images, root-relative to
    the Frontdesk server, made absolute against ``origin`` (e.g. ``https://desk.example.com``)."""
    base = origin.rstrip("/") + "/"
    return _ROOT_RELATIVE.sub(lambda match: match.group(1) + base, html)


def linked_article_ids(markdown: str) -> set[int]:
    """The articles a text links to (``[text](article:42)``)."""
    return {int(m) for m in re.findall(r"\]\(article:(\d{1,18})\)", markdown)}


def render_html(markdown: str, resolve: Resolver | None = None) -> str:
    """Sanitised HTML of an article body."""
    html = _shift_headings(_PARSER.render(markdown))
    html = _prefix_fragment_links(_resolve_links(html, resolve))
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(html: str) -> str:
    """Readable plain text of rendered HTML: one line per block, entities decoded."""
    text = _BLOCK_END.sub("\n", html)
    text = html_module.unescape(_TAG.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
