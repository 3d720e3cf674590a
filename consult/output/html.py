"""A markdown record or summary as one self-contained, printable HTML page.

The markdown is rendered by markdown-it-py (CommonMark, raw HTML off, so the
escaped text of `consult.output.text` stays text), inside a page with its own
styles for screen and print (A4, no links or scripts to fetch): a clinic prints
it or saves it as PDF from any browser.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

STYLE = """
:root { color-scheme: light; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #111; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6em; border-bottom: 2px solid #333; padding-bottom: .2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin-bottom: .3em; }
ul { padding-left: 1.3em; } li { margin: .15em 0; }
pre { background: #f4f4f4; padding: .6em; overflow-x: auto; font-size: .85em;
  white-space: pre-wrap; word-break: break-all; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h1, h2, h3 { break-after: avoid; }
  li, pre { break-inside: avoid; }
  pre { background: none; border: 1px solid #ccc; }
}
"""


def render_html(markdown: str, *, title: str, lang: str = "en") -> str:
    """The page: `markdown` rendered (raw HTML off) with the print styles, as HTML text."""
    body = MarkdownIt("commonmark", {"html": False}).render(markdown)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
