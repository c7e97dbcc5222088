"""MkDocs hook: render the formulas as MathML when the site is built, so pages need no script and no network.

`pymdownx.arithmatex` (generic mode) finds the formulas in the Markdown and wraps them as
``<span class="arithmatex">\\(...\\)</span>`` (inline) or ``<div class="arithmatex">\\[...\\]</div>``
(display). This hook replaces each wrapper's TeX with MathML from `latex2mathml`; browsers draw MathML
natively, so the built site reads offline.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

_WRAPPED = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*\\(?P<open>[(\[])(?P<tex>.*?)\\(?P<close>[)\]])\s*</(?P=tag)>',
    re.DOTALL,
)


def _render(match: re.Match[str]) -> str:
    tex = html.unescape(match.group("tex")).strip()
    display = "block" if match.group("open") == "[" else "inline"
    mathml = convert(tex, display=display)
    return f'<{match.group("tag")} class="arithmatex">{mathml}</{match.group("tag")}>'


def on_page_content(content: str, **kwargs: object) -> str:
    """Replace every arithmatex wrapper in a page's HTML with its MathML rendering."""
    return _WRAPPED.sub(_render, content)
