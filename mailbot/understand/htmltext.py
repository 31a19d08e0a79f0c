"""HTML bodies turned into plain text with the standard library's html.parser.

Only what the extractors and the reply splitter need: visible text with entities decoded, no
script or style, one line per block element, table cells separated by tabs and rows by newlines
(Outlook sends "CIG | value" pairs as table rows), and the content of <blockquote> prefixed with
"> " so a quoted copy in an HTML-only reply is recognised as quoted text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
        "tbody",
        "thead",
        "tfoot",
    }
)
_CELL = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\u00a0\u200b]+")
_BLANKS = re.compile(r"\n{3,}")


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.line_depth = 0
        self.quote_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0
        self.cell_depth = 0
        self.cells_in_row = 0
        # What the current line holds, kept as it grows: joining it at every piece of text made a
        # line of many tags quadratic.
        self.line_has_text = False
        self.line_ends_blank = True  # empty, or its last piece ends with a space or a tab

    def add(self, piece: str) -> None:
        if piece:
            self.line.append(piece)
            self.line_has_text = self.line_has_text or not piece.isspace()
            self.line_ends_blank = piece.endswith((" ", "\t"))

    def newline(self) -> None:
        text = "".join(self.line).strip(" ")
        prefix = "> " * self.line_depth
        self.lines.append(prefix + text if text or not prefix else prefix.rstrip())
        self.line = []
        self.line_has_text, self.line_ends_blank = False, True
        self.line_depth = self.quote_depth

    def soft_break(self) -> None:
        """A block boundary: a new line unless the current one is still empty."""
        if self.line_has_text:
            self.newline()
        self.line_depth = self.quote_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _CELL:
            if self.cells_in_row:
                self.add("\t")
            self.cells_in_row += 1
            self.cell_depth += 1
        elif tag == "tr":
            self.soft_break()
            self.cells_in_row = 0
        elif tag == "br":
            self._break_inline()
        elif tag in _BLOCK:
            if self.cell_depth:
                self.add(" ")
                return
            self.soft_break()
            if tag == "blockquote":
                self.quote_depth += 1
                self.line_depth = self.quote_depth
            elif tag == "pre":
                self.pre_depth += 1
            elif tag == "li":
                self.add("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break_inline()
        elif tag in _BLOCK and not self.cell_depth:
            self.soft_break()

    def _break_inline(self) -> None:
        if self.cell_depth:
            self.add(" ")
        else:
            self.newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _CELL:
            self.cell_depth = max(0, self.cell_depth - 1)
        elif tag == "tr":
            self.soft_break()
            self.cells_in_row = 0
        elif tag in _BLOCK and not self.cell_depth:
            self.soft_break()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
                self.line_depth = self.quote_depth
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self.newline()
                self.add(part)
            return
        text = _SPACES.sub(" ", data)
        if self.cell_depth:
            text = text.replace("\t", " ")
        if self.line_ends_blank:
            text = text.lstrip(" ")
        self.add(text)


def html_to_text(html: str) -> str:
    """Visible text of an HTML document; never raises on malformed markup."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # html.parser is lenient; anything left is kept as far as it got
        pass
    builder.newline()
    lines = [re.sub(r"[ ]+\t|\t[ ]+", "\t", line).rstrip() for line in builder.lines]
    text = "\n".join(lines)
    return _BLANKS.sub("\n\n", text).strip("\n")
