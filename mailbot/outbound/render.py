"""Rendering an email from its template triplet; pure (no I/O beyond reading templates).

Templates live in ``templates/mail/<name>/<lang>/{subject.txt,body.txt,body.html}``. Undefined
variables are errors (``StrictUndefined``). Dates and money are formatted for the language with
babel: ``31 dicembre 2026`` and ``€ 1.234,56`` in Italian, ``December 31, 2026`` and ``€1,234.56``
in English.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError, pass_context
from jinja2.runtime import Context

from mailbot.errors import InputError
from mailbot.paths import templates_dir

LOCALES = {"it": "it_IT", "en": "en_GB"}
MONEY_PATTERNS = {"it": "¤ #,##0.00", "en": "¤#,##0.00"}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def format_money(value: Decimal | int, lang: str, currency: str = "EUR") -> str:
    """``€ 1.234,56`` (it) or ``€1,234.56`` (en)."""
    return format_currency(
        Decimal(value), currency, format=MONEY_PATTERNS[lang], locale=LOCALES[lang], currency_digits=False
    )


def format_day(value: date, lang: str, fmt: str = "long") -> str:
    """``31 dicembre 2026`` (it) or ``31 December 2026`` (en)."""
    return format_date(value, format=fmt, locale=LOCALES[lang])


def format_number(value: Decimal | int, lang: str) -> str:
    return format_decimal(value, locale=LOCALES[lang])


def tidy_text(text: str) -> str:
    """A plain-text body as people expect it: no trailing spaces, no blank line at the start,
    never two blank lines in a row, one newline at the end. Lets templates space blocks freely."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def oneline(value: object) -> str:
    """A value from the data on one line, as a greeting says it: line breaks and control characters
    become single spaces (a name imported with a line break must not make a line of the email)."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in str(value))
    return " ".join(text.split())


class Renderer:
    """Renders named emails in a language. Build one and reuse it: templates are read and compiled once,
    at first use, and never checked again for changes (a running mailbot picks up edited templates
    when restarted). Checking cost a file ``stat`` per template, layout and partial on every render:
    about half the time of rendering an automatic reply."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or templates_dir()) / "mail"
        self.text_env = self._env(autoescape=False)
        self.html_env = self._env(autoescape=True)

    def _env(self, *, autoescape: bool) -> Environment:
        env = Environment(
            loader=FileSystemLoader(str(self.root)),
            undefined=StrictUndefined,
            autoescape=autoescape,
            auto_reload=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["date"] = _date_filter
        env.filters["money"] = _money_filter
        env.filters["number"] = _number_filter
        env.filters["oneline"] = oneline
        return env

    def compile_all(self) -> int:
        """Compile every template (layouts and partials included) now, not at first use: ``mailbot run``
        does this at start, so a template that does not compile stops it there, naming the file,
        instead of failing the first email that needs it, and no email waits for a compile (about
        3 ms a template). ``.html`` files go to the escaping environment, ``.txt`` to the text one,
        macro files (``.j2``) to both. Returns how many were compiled."""
        names = self.text_env.list_templates()
        for path in names:
            envs = {".html": (self.html_env,), ".txt": (self.text_env,)}.get(Path(path).suffix)
            for env in envs or (self.text_env, self.html_env):
                try:
                    env.get_template(path)
                except TemplateSyntaxError as exc:
                    raise InputError(f"template {path} line {exc.lineno}: {exc.message}") from None
        return len(names)

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("_"))

    def render(self, name: str, lang: str, context: Any) -> RenderedEmail:
        if lang not in LOCALES:
            raise InputError(f"language {lang!r} has no templates (known: {', '.join(LOCALES)})")
        variables = {k: getattr(context, k) for k in getattr(context, "__dataclass_fields__", {})}
        variables.update(lang=lang, ctx=context)  # the language asked for wins over the context's
        try:
            subject = self.text_env.get_template(f"{name}/{lang}/subject.txt").render(variables)
            text = self.text_env.get_template(f"{name}/{lang}/body.txt").render(variables)
            html = self.html_env.get_template(f"{name}/{lang}/body.html").render(variables)
        except TemplateNotFound as exc:
            raise InputError(f"template {exc.name} not found under {self.root}") from None
        subject = " ".join(subject.split())
        return RenderedEmail(subject=subject, text=tidy_text(text), html=html)


@pass_context
def _date_filter(ctx: Context, value: date, fmt: str = "long") -> str:
    return format_day(value, ctx["lang"], fmt)


@pass_context
def _money_filter(ctx: Context, value: Decimal | int) -> str:
    return format_money(value, ctx["lang"])


@pass_context
def _number_filter(ctx: Context, value: Decimal | int) -> str:
    return format_number(value, ctx["lang"])
