"""Field extraction from free text (pure): ``extract_fields(text) -> Extraction``.

Labelled values first: every label of ``extract_labels.LABELS`` is looked for, the separator after
it skipped (colons, "n.", "è", tabs and pipes of a table turned into text, up to two new lines), and
the value that follows read with the field's candidate pattern and validated. Then values that need
no label because their shape proves them: an order number, a CUP, a valid IBAN, and a CIG only when
its checksum matches. Column tables from Outlook (a row of labels above a row of values) are paired
up first. Years come from ``extract_years``.

``fields`` holds valid values only (``cig`` and ``cup`` as lists in order of appearance, ``years`` as an
int, the rest as strings; absent fields have no key); every invalid value goes to ``invalid`` with
its reason. The caller decides which text to pass (the new text, not the quoted copy of our email),
and whether the sender's own data in their signature are kept apart (``signature=True``: the
office's fiscal code below "Cordiali saluti" is not the answer; an invalid one there is no invalid
answer either).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

from mailbot.understand.extract.labels import (
    CANDIDATES,
    COMMON_WORDS,
    FURTHER_NEEDS_SEPARATOR,
    FURTHER_SHAPES,
    LABELS,
    LINKING_WORDS,
    LIST_FIELDS,
    NEEDS_DIGIT,
    NOT_USERNAME_PREFIXES,
    PEC_DOMAIN_PARTS,
    PERSONAL_FISCAL_CODE,
    QUALIFIER_WORDS,
    SENDER_FIELDS,
    SHAPED_COMMON_WORDS,
    USERNAME_MIN_PART,
    USERNAME_NOUNS_AFTER,
    USERNAME_SHAPE,
    Label,
)
from mailbot.understand.extract.signature import points_below, signature_span
from mailbot.understand.extract.years import find_years
from mailbot.understand.identifiers import (
    check_field,
    cig_checksum_matches,
    iban_check_digits_wrong,
    normalise,
    validate_iban,
    validate_payment_reference,
)

FieldValue = str | int | list[str]

_LABEL_RES = tuple((label, re.compile(rf"(?<![a-z0-9])(?:{label.pattern})(?![a-z0-9])", re.I)) for label in LABELS)
# Any label at all, in one scan of the text: the boundary checked once per place, not once per label.
_ANY_LABEL = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(f"(?:{label.pattern})" for label in LABELS) + r")(?![a-z0-9])", re.I
)
_SEP = re.compile(
    r"(?:\s|[:=|#>\-–—<()\"“«‘]|\.{2,}|…|n[.°º]|nr(?:\.|(?![a-z]))|num\.|numero\b|no\.|è\b|e'|is\b|are\b|sono\b"
    r"|(?:il\s+|the\s+)?(?:seguente|seguenti|following)\b|pari\s+a\b|codice\b)*",
    re.I,
)
# The rest of a label on its line: qualifier words and notes in brackets ("Username del portale",
# "Codice Univoco Ufficio (per la fatturazione elettronica)"). Blanks are taken possessively: a run of
# them is never tried again at every length.
_QUALIFIER = re.compile(
    r"(?:[ \t]*+\([^()\n]{0,80}\)|[ \t'’]++(?:"
    + "|".join(sorted(map(re.escape, QUALIFIER_WORDS), key=len, reverse=True))
    + r")(?=[\s:;,.'’()=|]|$)(?![.][\w-]))*",
    re.I,
)
_LAST_WORD = re.compile(r"([^\W\d_]+)[\s'’]*$")
# A separator that says a value follows, not a plain space: after a linking word it is required.
_REAL_SEPARATOR = re.compile(r"[:=|\t\n]|(?<![^\W\d_])(?:è|e'|is|are|sono)(?![^\W\d_])", re.I)
# A few more words before a separator, after a label ending in a linking word ("C.F. del comune di
# Esempio: ...", "Username della segreteria: ...").
_WORDS_TO_SEPARATOR = re.compile(r"(?:[ \t]++[\w'’.-]++){1,4}?[ \t]*[:=|\t]")
_PLAIN_WORD_FIELDS = frozenset({"username", "office_code", "sdi_code"})
# A username without a real label: its shape, and what ends the words where it is looked for after a
# username label (the sentence, the password).
_USERNAME_SHAPE = re.compile(rf"(?:{USERNAME_SHAPE})")
_SHAPED_USERNAME = re.compile(rf"(?<![\w.@/-])(?:{USERNAME_SHAPE})(?![\w@/-]|[.]\w)")
_USERNAME_BEFORE_NOUN = re.compile(
    rf"(?<![\w.-])(?:the|our|my|your)\s+(?P<value>{USERNAME_SHAPE})\s+(?:{USERNAME_NOUNS_AFTER})(?![\w])", re.I
)
_JOINED = re.compile(r"[._-][a-z0-9]", re.I)  # a label word joined to more: "impianto-sud"
_SHOUTED_LETTERS = 12
_END_OF_USERNAME_SEARCH = re.compile(r"[.!?](?:\s|$)|[\n;]|password", re.I)
_USERNAME_SEARCH_CHARS = 120
# A value a few words after its label (``labels.FURTHER_SHAPES``): looked for up to a blank line, and
# for a VAT number or fiscal code up to the end of the sentence.
_FURTHER_RES = {kind: re.compile(rf"(?<![\w.@/-])(?:{shape})(?![\w@/-])") for kind, shape in FURTHER_SHAPES.items()}
_FURTHER_CHARS = 200
_END_OF_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_END_OF_SENTENCE = re.compile(r"[.!?](?:\s|$)|\n")
_SAID_BEFORE = re.compile(r"(?:[:=>]|(?<![^\W\d_])(?:è|e'|is|are|sono))\s*$", re.I)
_SAID_CHARS = 8
_NO_CODE = "0000000"
_LINE = re.compile(r"[^\n]+")
_SDI_FIELDS = ("office_code", "recipient_code")  # the recipient code of an invoice delivered by PEC
_PERSONAL_CF = re.compile(rf"(?<![a-z0-9])(?:{PERSONAL_FISCAL_CODE})(?![a-z0-9])", re.I)
_LIST_SEP = re.compile(r"\s*(?:[,;/&]|\be\b|\bed\b|\band\b)\s*", re.I)
_CANDIDATE_RES = {name: re.compile(rf"(?:{pattern})(?![a-z0-9])", re.I) for name, pattern in CANDIDATES.items()}
# A table cell holding a label and nothing else ("Username portale", "CIG:").
_LABEL_CELL = re.compile(rf"[ \t]*(?:{_ANY_LABEL.pattern}){_QUALIFIER.pattern}[ \t]*:?[ \t]*", re.I)
_CIG_TOKEN = re.compile(r"(?<![a-z0-9])[a-z0-9]{10}(?![a-z0-9])", re.I)
_CUP_TOKEN = re.compile(r"(?<![a-z0-9])[a-z]\d{2}[a-z]\d{11}(?![a-z0-9])", re.I)
_ORDER_TOKEN = re.compile(r"(?<![a-z0-9])ord[-\s]?\d{4}[-\s]?\d{6}(?![0-9])", re.I)
_IBAN_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}")
_STRICT_SEPARATORS = frozenset(":=|\t\n")
_MAX_NEWLINES = 2
_MIN_HEADER_LABELS = 2
_MIN_HEADER_CELLS = 3
_MIN_REFERENCE = 8  # a shorter run of letters and digits after "CRO" is not meant as the reference


@dataclass(frozen=True)
class InvalidValue:
    field: str
    value: str  # as written
    reason: str


@dataclass
class Extraction:
    fields: dict[str, FieldValue] = field(default_factory=dict)
    invalid: list[InvalidValue] = field(default_factory=list)
    # The sender's own data found in their signature (``extract_fields(..., signature=True)``).
    signature: dict[str, str] = field(default_factory=dict)
    invalid_keys: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)


@dataclass(frozen=True)
class _Found:
    pos: int
    end: int
    field: str
    value: str  # normalised when valid, as written when not
    reason: str | None


def extract_fields(text: str, *, signature: bool = False) -> Extraction:
    """Every value of ``text``; with ``signature``, the sender's own data found in their signature
    block (``signature_span``) go to ``Extraction.signature`` (valid ones only) instead of ``fields``."""
    table_text, header_rows = pair_column_tables(text)
    found = _labelled(text, skip=_Spans(header_rows)) + _labelled(table_text, offset=len(text))
    taken = _Spans([(f.pos, f.end) for f in found])
    found += [f for f in _unlabelled(text) if not taken.overlaps(f.pos, f.end)]
    found.sort(key=lambda f: f.pos)
    span = None
    if signature and any(f.field in SENDER_FIELDS for f in found):
        span = signature_span(text, first_value=found[0].pos)
    pointed = _pointed_fields(text[: span[0]]) if span is not None else frozenset()
    result = Extraction()
    for item in found:
        if span is not None and span[0] <= item.pos < span[1] and item.field in SENDER_FIELDS - pointed:
            if item.reason is None:
                result.signature.setdefault(item.field, item.value)
        else:
            _add(result, item)
    years = find_years(text)
    valid_years = [y for y in years if y.reason is None]
    if valid_years:
        result.fields["years"] = valid_years[0].years
    for bad in (y for y in years if y.reason is not None):
        _add_invalid(result, InvalidValue("years", bad.text, bad.reason or ""))
    return result


def _pointed_fields(text: str) -> frozenset[str]:
    """The fields named on a line of ``text`` that points below ("il codice univoco ufficio riportato
    in calce"): their values in the signature are the answer."""
    fields: set[str] = set()
    for line in _LINE.findall(text):
        if points_below(line):
            for _match, label in _label_matches(line):
                fields.update(_SDI_FIELDS if "sdi_code" in label.fields else label.fields)
    return frozenset(fields)


def _add(result: Extraction, item: _Found) -> None:
    if item.reason is not None:
        _add_invalid(result, InvalidValue(item.field, item.value, item.reason))
    elif item.field in LIST_FIELDS:
        values = result.fields.setdefault(item.field, [])
        assert isinstance(values, list)
        if item.value not in values:
            values.append(item.value)
    else:
        result.fields.setdefault(item.field, item.value)


def _add_invalid(result: Extraction, bad: InvalidValue) -> None:
    key = (bad.field, normalise(bad.value))
    if key not in result.invalid_keys:
        result.invalid_keys.add(key)
        result.invalid.append(bad)


class _Spans:
    """Spans, asked whether one of them overlaps a span, in logarithmic time (texts hold thousands)."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [start for start, _end in ordered]
        self.reach = list(accumulate((end for _start, end in ordered), max))  # the furthest end so far

    def overlaps(self, start: int, end: int) -> bool:
        before = bisect.bisect_left(self.starts, end)  # the spans starting before ``end``
        return before > 0 and self.reach[before - 1] > start


def _label_matches(text: str) -> list[tuple[re.Match[str], Label]]:
    """The labels of ``text`` in order, none overlapping: at the first place any label matches, the
    longest one there (the first of ``LABELS`` when two are as long), then on after it. One scan of
    the text with every label at once, not one per label."""
    chosen: list[tuple[re.Match[str], Label]] = []
    pos = 0
    while (hit := _ANY_LABEL.search(text, pos)) is not None:
        if _in_an_address(text, hit.start()):
            pos = hit.start() + 1  # "pec" in comune@pec.it is no label
            continue
        best: tuple[re.Match[str], Label] | None = None
        for label, regex in _LABEL_RES:
            match = regex.match(text, hit.start())
            if match is not None and (best is None or match.end() > best[0].end()):
                best = (match, label)
        assert best is not None  # the label that ``hit`` matched matches here
        chosen.append(best)
        pos = max(best[0].end(), hit.start() + 1)
    return chosen


def _in_an_address(text: str, pos: int) -> bool:
    """``pos`` follows the "@" of an address or a dot inside a domain."""
    before = text[pos - 1] if pos else ""
    return before == "@" or (before == "." and pos >= 2 and text[pos - 2].isalnum())


def _labelled(text: str, offset: int = 0, skip: _Spans | None = None) -> list[_Found]:
    found: list[_Found] = []
    matches = _label_matches(text)
    for i, (match, label) in enumerate(matches):
        if skip is not None and skip.overlaps(match.start(), match.end()):
            continue  # a header row of a column table: its values are in the row below
        if found and match.start() < found[-1].end - offset:
            continue  # the label sits inside the previous value (e.g. "pec" in comune@pec.it)
        next_label = matches[i + 1][0].start() if i + 1 < len(matches) else len(text)
        starts = _value_starts(text, match.end(), label, next_label)
        if label.shaped and _JOINED.match(text, match.end()):
            starts = [_Start(match.start(), said=False, shaped=True)]  # "impianto-sud": the word is the username
        for start in starts:
            values = _read_values(text, start, label, offset)
            if values:
                found += values
                break
        else:
            kind = label.fields[0]
            if len(label.fields) == 1 and not label.quiet and (kind == "username" or kind in _FURTHER_RES):
                # an everyday label ("riferimento", "archivio") does not end the search
                further = next(
                    (m.start() for m, other in matches[i + 1 :] if not (other.quiet or other.shaped)), len(text)
                )
                found += _further(text, match.end(), further, kind, offset)
    return found


def _further(text: str, end: int, next_label: int, kind: str, offset: int) -> list[_Found]:
    """After a label with no value right after it, a value said a few words further, before the next
    label: for a username, the first word that looks like one before the end of the sentence
    ("L'utenza sul portale è la stessa per entrambi: consorzio.piave"); for the others, the first word of
    the field's shape (``labels.FURTHER_SHAPES``) that passes ``_said_further``."""
    if kind == "username":
        stop = _END_OF_USERNAME_SEARCH.search(text, end, min(next_label, end + _USERNAME_SEARCH_CHARS))
        limit = stop.start() if stop is not None else min(next_label, end + _USERNAME_SEARCH_CHARS)
        for match in _SHAPED_USERNAME.finditer(text, end, limit):
            if _looks_like_username(match.group()):
                value, reason = check_field("username", match.group())
                return [_Found(match.start() + offset, match.end() + offset, "username", value, reason)]
        return []
    limit = min(next_label, end + _FURTHER_CHARS)
    stop = (_END_OF_SENTENCE if kind in FURTHER_NEEDS_SEPARATOR else _END_OF_PARAGRAPH).search(text, end, limit)
    limit = stop.start() if stop is not None else limit
    for match in _FURTHER_RES[kind].finditer(text, end, limit):
        raw = match.group()
        said = _SAID_BEFORE.search(text, max(end, match.start() - _SAID_CHARS), match.start()) is not None
        if not _said_further(raw, kind, said=said):
            continue
        field_name, value, reason = _judge(kind, raw)
        if reason is None or kind in FURTHER_NEEDS_SEPARATOR:
            return [_Found(match.start() + offset, match.end() + offset, field_name, value, reason)]
    return []


def _said_further(raw: str, kind: str, *, said: bool) -> bool:
    """A word of the field's shape found after its label is the value: a PEC on a certified mail
    domain; a code with a letter and a digit (or the recipient code of delivery by PEC), or one of
    letters only right after "è" or a colon; a VAT number or fiscal code right after one of them."""
    if kind == "pec":
        parts = raw.rpartition("@")[2].lower().split(".")
        return any(part in PEC_DOMAIN_PARTS or part.startswith("pec") or part.endswith("pec") for part in parts)
    if kind in FURTHER_NEEDS_SEPARATOR:
        return said
    if kind == "cig":
        return (said or (any(ch.isdigit() for ch in raw) and any(ch.isalpha() for ch in raw))) and (
            cig_checksum_matches(raw)
        )
    if raw == _NO_CODE:
        return kind == "sdi_code"
    if any(ch.isdigit() for ch in raw) and any(ch.isalpha() for ch in raw):
        return True
    return said and raw.isalpha() and raw.lower() not in COMMON_WORDS


def _looks_like_username(raw: str) -> bool:
    """Written in lower case in a username's shape (``labels.USERNAME_SHAPE``), not a word of that shape."""
    if not _USERNAME_SHAPE.fullmatch(raw) or raw in SHAPED_COMMON_WORDS or raw.startswith(NOT_USERNAME_PREFIXES):
        return False
    return any(len(part) >= USERNAME_MIN_PART for part in re.split(r"[._-]", raw))


def _shouted(text: str, pos: int) -> bool:
    """The line holding ``pos`` is written in capitals: case says nothing there."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    letters = [ch for ch in text[start : end if end >= 0 else len(text)] if ch.isalpha()]
    return len(letters) >= _SHOUTED_LETTERS and not any(ch.islower() for ch in letters)


def _value_starts(text: str, end: int, label: Label, next_label: int) -> list[_Start]:
    """Where the value of the label ending at ``end`` may start, in order, and whether a real separator
    comes before it: after its qualifier words and notes and the separator; after a label ending in a
    linking word, also after a few more words and a separator ("C.F. del comune di Esempio: ..."),
    before the next label."""
    qualifier = _QUALIFIER.match(text, end)
    assert qualifier is not None
    end = qualifier.end()
    last = _LAST_WORD.search(qualifier.group())
    linking = last is not None and last.group(1).lower() in LINKING_WORDS
    starts: list[_Start] = []
    sep = _SEP.match(text, end)
    assert sep is not None
    plain_word = label.fields[0] in _PLAIN_WORD_FIELDS
    if not (linking and plain_word and not _REAL_SEPARATOR.search(sep.group())):
        starts += _after_separator(sep, label)
    further = _WORDS_TO_SEPARATOR.match(text, end) if linking else None
    if further is not None and further.end() <= next_label:
        sep = _SEP.match(text, further.end())
        assert sep is not None
        starts += _after_separator(sep, label)
    return starts


def _after_separator(sep: re.Match[str], label: Label) -> list[_Start]:
    if sep.group().count("\n") > _MAX_NEWLINES:
        return []
    shaped = label.shaped
    if label.strict and not _STRICT_SEPARATORS.intersection(sep.group()):
        if label.fields[0] != "username":
            return []
        shaped = True  # "l'utente è impianto-nord", "the account b.conti": a username's shape only
    return [_Start(sep.end(), _REAL_SEPARATOR.search(sep.group()) is not None, shaped)]


@dataclass(frozen=True)
class _Start:
    pos: int
    said: bool  # a real separator before it ("CUU: x", "il CUU è x"), not a plain space
    shaped: bool = False  # the value is taken only when it looks like a username


def _read_values(text: str, start: _Start, label: Label, offset: int) -> list[_Found]:
    kind = label.fields[0]
    found: list[_Found] = []
    pos = start.pos
    while True:
        raw = _candidate(text, pos, kind, said=start.said)
        if raw is None or (start.shaped and not _looks_like_username(raw.lower() if _shouted(text, pos) else raw)):
            return found
        end = pos + len(raw)
        for name in label.fields:
            field_name, value, reason = _judge(name, raw)
            if reason is None or not label.quiet:
                found.append(_Found(pos + offset, end + offset, field_name, value, reason))
        if kind not in LIST_FIELDS:
            return found
        more = _LIST_SEP.match(text, end)
        if more is None:
            return found
        pos = more.end()


def _candidate(text: str, pos: int, kind: str, *, said: bool = True) -> str | None:
    match = _CANDIDATE_RES[kind].match(text, pos)
    if match is None:
        return None
    raw = match.group()
    if kind == "pec":
        raw = raw.rstrip(".")
    elif kind == "username":
        if text.startswith("://", pos + len(raw)):
            return None  # "Login: https://portal..." names a page, not a user
        raw = raw.rstrip(".!?")
        if raw.lower() in COMMON_WORDS:
            return None  # "Username: per favore...": the value is not here
    elif kind == "iban":
        raw = _trim_iban(raw)
    elif kind == "payment_reference":
        raw = _trim_reference(raw)
    if kind in NEEDS_DIGIT and not any(ch.isdigit() for ch in raw):
        return None
    if kind in ("office_code", "sdi_code") and not (raw.isupper() or any(ch.isdigit() for ch in raw)):
        return raw if _lowercase_code(raw, kind, said=said) else None
    return raw


def _lowercase_code(raw: str, kind: str, *, said: bool) -> bool:
    """An office or recipient code written in lower case letters ("cuu: ufxkat"): only after a real
    separator, only of the code's length, never a common word ("codice univoco ufficio presso...")."""
    lengths = (6,) if kind == "office_code" else (6, 7)
    return said and raw.isalpha() and len(raw) in lengths and raw.lower() not in COMMON_WORDS


def _trim_iban(raw: str) -> str:
    """The longest run of space-separated groups that is a valid IBAN, else ``raw`` without trailing words."""
    groups = raw.split(" ")
    for size in range(len(groups), 0, -1):
        candidate = " ".join(groups[:size])
        if validate_iban(candidate) is None:
            return candidate
    while len(groups) > 1 and groups[-1].isalpha():
        groups.pop()
    return " ".join(groups)


def _trim_reference(raw: str) -> str:
    """The first group when it is a valid reference, else the longest run of groups that is one ("CRO
    1234 5678 901"), else the first group (reported invalid when it is long enough to be meant)."""
    groups = raw.split(" ")
    if len(groups) > 1 and validate_payment_reference(groups[0]) is not None:
        for size in range(len(groups), 1, -1):
            candidate = " ".join(groups[:size])
            if validate_payment_reference(candidate) is None:
                return candidate
    return groups[0] if len(groups[0]) >= _MIN_REFERENCE else ""


def _judge(name: str, raw: str) -> tuple[str, str, str | None]:
    """(field, value, reason): the field the value belongs to, normalised when valid."""
    if name == "sdi_code":
        name = "office_code" if len(normalise(raw)) <= 6 else "recipient_code"
    value, reason = check_field(name, raw)
    if reason is None:
        return name, value, None
    if name in LIST_FIELDS:  # "CIG/CUP: <cig> / <cup>": a valid value of the sibling list field
        other = "cup" if name == "cig" else "cig"
        other_value, other_reason = check_field(other, raw)
        if other_reason is None:
            return other, other_value, None
    if name == "vat_number":
        raw = re.sub(r"^it\s+", "", raw.strip(), flags=re.I)  # "IT 01234567890": the number is the value
    return name, raw.strip(), reason


def _unlabelled(text: str) -> list[_Found]:
    found: list[_Found] = []
    for m in _CIG_TOKEN.finditer(text):
        token = m.group().upper()
        if any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token) and cig_checksum_matches(token):
            found.append(_Found(m.start(), m.end(), "cig", token, None))
    for m in _CUP_TOKEN.finditer(text):
        found.append(_Found(m.start(), m.end(), "cup", m.group().upper(), None))
    for m in _ORDER_TOKEN.finditer(text):
        value, reason = check_field("order_number", m.group())
        found.append(_Found(m.start(), m.end(), "order_number", value, reason))
    for m in _PERSONAL_CF.finditer(text):
        if any(ch.isdigit() for ch in m.group()):
            field_name, value, reason = _judge("fiscal_code", m.group())
            found.append(_Found(m.start(), m.end(), field_name, value, reason))
    for m in _USERNAME_BEFORE_NOUN.finditer(text):
        raw = m.group("value")
        if _looks_like_username(raw):
            found.append(_Found(m.start("value"), m.end("value"), "username", check_field("username", raw)[0], None))
    for m in _IBAN_TOKEN.finditer(text):
        raw = _trim_iban(m.group())
        if validate_iban(raw) is None:
            found.append(_Found(m.start(), m.start() + len(raw), "iban", check_field("iban", raw)[0], None))
        elif (mistyped := _mistyped_iban(m.group())) is not None:  # "rimborsatemi su IT66Y0306..."
            found.append(
                _Found(m.start(), m.start() + len(mistyped), "iban", mistyped, check_field("iban", mistyped)[1])
            )
    return found


def _mistyped_iban(raw: str) -> str | None:
    """The longest run of space-separated groups of ``raw`` that is an IBAN but for its check digits."""
    groups = raw.split(" ")
    for size in range(len(groups), 0, -1):
        candidate = " ".join(groups[:size])
        if iban_check_digits_wrong(candidate):
            return candidate
    return None


def pair_column_tables(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Outlook tables turned to text may put a row of labels above a row of values, cells split by
    tabs or pipes. Returns those pairs rewritten as "label: value" lines, and the header rows' spans."""
    if "\t" not in text and "|" not in text:
        return "", []  # no cells at all
    lines = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    out: list[str] = []
    headers: list[tuple[int, int]] = []
    for (start, end, header), (_s, _e, values) in pairwise(lines):
        heads, cells = _cells(header), _cells(values)
        if len(heads) < 2 or len(heads) != len(cells) or not _is_header(heads):
            continue
        headers.append((start, end))
        out += [f"{head}: {cell}" for head, cell in zip(heads, cells, strict=True) if _is_label(head)]
    return "\n".join(out), headers


def _is_header(heads: list[str]) -> bool:
    """Two labels or more; or one among three cells or more without a digit ("Your reference | Amount |
    Value date | Bank reference"): a row of label and value ("CIG | Z213346E34") is no header."""
    labels = sum(1 for head in heads if _is_label(head))
    if labels >= _MIN_HEADER_LABELS:
        return True
    return labels == 1 and len(heads) >= _MIN_HEADER_CELLS and not any(ch.isdigit() for ch in "".join(heads))


def _cells(line: str) -> list[str]:
    parts = re.split(r"\t+|\s*\|\s*", line.strip().strip("|"))
    return [part.strip() for part in parts if part.strip()]


def _is_label(cell: str) -> bool:
    return _LABEL_CELL.fullmatch(cell) is not None
