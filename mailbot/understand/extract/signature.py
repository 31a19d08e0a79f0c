"""Where the sender's signature block is in a text (pure): ``signature_span(text) -> (start, end) | None``.

The sender's own data (the office's fiscal code, VAT number, PEC, IBAN, office code) written below
their name are not the answer to what we asked: the extractor keeps them apart. A signature starts
at a sign-off line ("Cordiali saluti", "Distinti saluti", "Saluti", "Best regards", "Regards", also
after "Grazie," or "In attesa di riscontro,") or a "--" line, or, with neither, at the first line of
a block at the end made only of signature lines (a name, an office or entity, an address, Tel./Fax,
web and e-mail addresses, protocol numbers, a privacy notice, the office's codes) when at least one
of them is more than a name or a code (a line of codes: the office's, a school's "C.M.", a company's
"R.E.A."; an entity, also after its acronym: "ARPA - Agenzia Regionale ..."). The block's first lines
that hold only codes are the answer
("CIG: ...\\nCodice univoco ufficio: ...\\nMario Rossi\\nTel. ...": the codes come before the name). A
"P.S." ends it. A value of the signature is the answer after all when a sentence before it names
its field and points below ("il codice univoco ufficio riportato in calce"): ``points_below``.

There is no signature when nothing but a greeting comes before it (a reply made only of a label block
is the answer), when the message points at the data below ("i dati sono in calce", "come segue",
"you find them below"), and, for a block found without a sign-off, when the line before it
introduces it (ends with a colon) or the message asks to change billing data (the block is the new
data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What ends a message before the sender's name, Italian then English.
_SIGN_OFF_PHRASE = (
    r"(?:(?:i\s+)?(?:più\s+)?(?:cordiali|distinti|cari|migliori|sinceri|tanti|molti|cordialissimi)\s+saluti"
    r"|saluti(?:\s+(?:cordiali|distinti|cari))?|(?:un\s+)?(?:cordiale|caro|distinto)\s+saluto|cordialmente"
    r"|cordialità|distintamente|con\s+osservanza|buona\s+giornata|buon\s+lavoro"
    r"|(?:best|kind|warm|warmest|kindest|many)\s+regards|regards|best\s+wishes|all\s+the\s+best"
    r"|(?:yours\s+)?(?:sincerely|faithfully|truly)|cheers)"
)
# What may come before a sign-off on its line: "Grazie, cordiali saluti", "In attesa di riscontro, porgo".
_SIGN_OFF_LEAD = (
    r"(?:(?:grazie|ringrazio|ringraziamo|ringraziando|thanks|thank\s+you|many\s+thanks|in\s+attesa|nell['’]attesa"
    r"|restando|rimanendo|resto|restiamo)[^\n\d:]{0,60}?(?:[,.;!]\s*|\s+(?:e|and|porgo|porgiamo|invio|inviamo)\s+)"
    r"(?:(?:porgo|porgiamo|invio|inviamo)\s+)?)?"
)
_SIGN_OFF = re.compile(
    rf"[ \t>*_-]*{_SIGN_OFF_LEAD}{_SIGN_OFF_PHRASE}[ \t]*[,.!]*(?:[ \t]*(?:,[ \t]*)?[^\W\d_][\w'’.-]*){{0,4}}[ \t]*",
    re.IGNORECASE,
)
_DELIMITER = re.compile(r"[ \t]*(?:--|—|__+)[ \t]*")
_POSTSCRIPT = re.compile(r"[ \t]*(?:p\.?[ \t]?s\.?|post[ \t]*scriptum)(?![^\W\d_])", re.IGNORECASE)
_GREETING = re.compile(
    r"[ \t]*(?:buongiorno|buonasera|buon\s+pomeriggio|salve|gentil\w*|egreg\w*|spett\w*(?:\.\w+)?|ciao|alla\s+c\.?a\.?"
    r"|alla\s+cortese\s+attenzione|c\.a\.|hello|hi|dear|good\s+(?:morning|afternoon|evening)|to\s+whom)"
    r"(?![^\W\d_])[ \t]*,?(?:[ \t]+[^\W\d_][^\W\d]*){0,4}[ \t]*[,.!:]?[ \t]*",
    re.IGNORECASE,
)
# The message points at data below: the block is the answer.
_POINTER = re.compile(
    r"(?<![^\W\d_])(?:in\s+calce|in\s+firma|nella\s+(?:mia\s+|nostra\s+)?firma|sotto\s+la\s+firma|qui\s+sotto"
    r"|(?:qui\s+)?di\s+seguito|(?:riportat|indicat|elencat)\w\s+sotto|come\s+segue|seguenti\s+dati|below"
    r"|(?:ecco|seguono|trasmett\w*|invi\w*|comunic\w*|alleg\w*)\s+(?:i\s+|gli\s+)?(?:nostri\s+|seguenti\s+|nuovi\s+)?"
    r"(?:dati|estremi)|here\s+(?:are|is)\s+(?:our|the|my)|in\s+(?:my|our|the)\s+signature|as\s+follows"
    r"|the\s+following)(?![^\W\d_])",
    re.IGNORECASE,
)
# The message asks to change billing data: a block found without a sign-off is the new data.
_CHANGE = re.compile(
    r"(?<![^\W\d_])(?:aggiorn|modific|variazion|vari|cambi|corregg|correzion|intest|update|chang|correct)",
    re.IGNORECASE,
)
_BILLING = re.compile(
    r"(?<![^\W\d_])(?:dati|fattur|intestazione|anagrafic|ragione\s+sociale|sede|indirizzo|billing|invoic|details"
    r"|address|company\s+name)",
    re.IGNORECASE,
)

# Lines of a signature. Strong: they make a block at the end a signature.
_PHONE = re.compile(
    r"(?:^|[\s|,;•·–-])(?:(?:tel|telefono|phone|ph|fax|cell|cellulare|mobile|mob|centralino|numero\s+verde)\.?"
    r"(?:\s*/\s*fax\.?)?\s*[:.]?|[tfm]\s*[.:])\s*(?:\+|\(|\d)"
    r"|^\+?[\d\s/().-]{8,}$",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"^(?:via|viale|v\.le|piazza|p\.za|p\.zza|piazzale|corso|c\.so|largo|vicolo|strada|contrada|località|loc\."
    r"|frazione|fraz\.|borgo|lungomare|lungotevere)\s+\S|(?<!\d)\d{5}\s+[^\W\d_]{2,}|\([A-Z]{2}\)",
    re.IGNORECASE,
)
_WEB = re.compile(r"www\.|https?://|^(?:e-?mail|mail|posta\s+elettronica)\s*:|^[^\s@]+@[^\s@]+\.\w+$", re.IGNORECASE)
_PROTOCOL = re.compile(r"^(?:prot(?:ocollo)?\.?\s*(?:n[.°º]?|nr\.?|num\.?)?\s*\d|n\.\s*prot|rif\.?\s*prot)", re.I)
_NOTICE = re.compile(
    r"ai\s+sensi|d\.\s?lgs|gdpr|regolamento\s+(?:ue|\(ue\))|privacy|riservat|confidential|this\s+(?:e-?mail|message)"
    r"|questo\s+messaggio|il\s+presente\s+messaggio|informativa|before\s+printing|prima\s+di\s+stampare",
    re.IGNORECASE,
)
_ENTITY = re.compile(
    r"^(?:[^\W\d_][\w.&'’]{0,15}[ \t]+[-–—][ \t]+)?"  # an acronym before the name: "ARPA - Agenzia Regionale"
    r"(?:comune|provincia|regione|citt[àa]|unione|consorzio|azienda|a\.?s\.?l|asp|ats|ausl|istituto|i\.c\."
    r"|scuola|liceo|universit[àa]|ministero|prefettura|questura|camera\s+di\s+commercio|agenzia|ente|ufficio|uff\."
    r"|settore|servizio|servizi|area|dipartimento|direzione|segreteria|ragioneria|economato|responsabile"
    r"|dirigente|funzionari[oa]|il\s+responsabile|il\s+dirigente|la\s+responsabile|sindaco|dott\.?|dott\.ssa|dr\.?"
    r"|ing\.?|avv\.?|rag\.?|geom\.?|arch\.?|prof\.?|prof\.ssa|sig\.?|sig\.ra|office(?!\s+code)|department|dept\.?"
    r"|accounts?|finance|procurement|purchasing|head\s+of|manager|director|agency|authority|council|municipality"
    r"|university|school|hospital|ministry|county)(?![^\W\d_])"
    r"|(?<![^\W\d_])(?:agency|authority|council|municipality|university|school|hospital|ministry|county|office"
    r"|department)$"  # English names the entity last: "Northwind Regional Water Agency"
    r"|(?<![^\W\d_])(?:s\.?r\.?l\.?s?|s\.?p\.?a\.?|s\.?n\.?c\.?|s\.?a\.?s\.?|ltd|llc|inc|gmbh|onlus|coop)(?![^\W\d_])",
    re.IGNORECASE,
)
# Weak: a line of the office's codes, a name.
_CODES = re.compile(
    r"^(?:c\.?\s?f\b|codice\s+fiscale|cod\.?\s*fisc|p\.?\s?iva|partita\s+iva|vat\b|pec\b|codice\s+(?:univoco|destinatario|ipa)"
    r"|cod\.?\s*univ|cuu\b|c\.u\.u\.|iban\b|sdi\b|fiscal\s+code|tax\s+code|(?:unique\s+)?office\s+code|recipient\s+code"
    r"|c\.\s?m\.|cod(?:ice|\.)?\s*mecc|r\.?e\.?a\.?\s|cap(?:itale|\.)?\s*soc|company\s+reg|reg(?:istration)?\.?\s+no)",
    re.IGNORECASE,
)
_NAME_WORD = r"(?:[A-Z][^\W\d_]*(?:['’.-][^\W\d_]*)*|d[aei]|de|del|della|van|von)"
_NAME = re.compile(rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}},?")
_TRIM = " \t>*_|()\"'-–—•·"
_MAX_ENTITY_WORDS = 8
_MIN_NOTICE_WORDS = 6


def points_below(text: str) -> bool:
    """``text`` points at data below it ("riportato in calce", "see below", "come segue")."""
    return _POINTER.search(text) is not None


def signature_span(text: str, first_value: int | None = None) -> tuple[int, int] | None:
    """Offsets of the sender's signature block in ``text``, or None (see the module's docstring).
    ``first_value`` is where the first value read in ``text`` is: with a value before the block, the
    message's words pointing at data ("ecco i dati") point at that value, not at the block."""
    lines = _lines(text)
    content = [i for i, (_start, line) in enumerate(lines) if line.strip()]
    if not content:
        return None
    for i in content:
        _start, line = lines[i]
        if _SIGN_OFF.fullmatch(line) or _DELIMITER.fullmatch(line):
            return _span(text, lines, i, _How(by_lines=False, first_value=first_value))
    return _block_at_the_end(text, lines, content, first_value)


def _lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _block_at_the_end(
    text: str, lines: list[tuple[int, str]], content: list[int], first_value: int | None
) -> tuple[int, int] | None:
    first = None
    strong = False
    for i in reversed(content):
        kind = _kind(lines[i][1])
        if kind is None:
            break
        strong |= kind == "strong"
        first = i
    if first is None or not strong:
        return None
    while first <= content[-1] and (not lines[first][1].strip() or _kind(lines[first][1]) == "codes"):
        first += 1  # codes above the name are the answer
    if first > content[-1]:
        return None
    return _span(text, lines, first, _How(by_lines=True, first_value=first_value))


@dataclass(frozen=True)
class _How:
    by_lines: bool  # found by its lines, without a sign-off
    first_value: int | None


def _span(text: str, lines: list[tuple[int, str]], first: int, how: _How) -> tuple[int, int] | None:
    start = lines[first][0]
    said = [line for _start, line in lines[:first] if line.strip() and not _GREETING.fullmatch(line)]
    if not said:
        return None  # only a greeting before: the block is the whole answer
    if how.by_lines and said[-1].rstrip().endswith(":"):
        return None  # "...come segue:" introduces it
    if how.first_value is None or how.first_value >= start:  # no value before it: words may point at it
        if any(_POINTER.search(line) for line in said):
            return None
        if how.by_lines and _asks_to_change_billing_data(said):
            return None
    end = len(text)
    for line_start, line in lines[first + 1 :]:
        if _POSTSCRIPT.match(line):
            end = line_start
            break
    return start, end


def _asks_to_change_billing_data(lines: list[str]) -> bool:
    return any(_CHANGE.search(line) and _BILLING.search(line) for line in lines)


def _kind(line: str) -> str | None:
    """ "strong", "codes", "name" or None (not a signature line)."""
    bare = line.strip(_TRIM)
    if not bare:
        return None
    if _PHONE.search(bare) or _WEB.search(bare) or _PROTOCOL.match(bare):
        return "strong"
    if _NOTICE.search(bare) and len(bare.split()) >= _MIN_NOTICE_WORDS:
        return "strong"
    if _ADDRESS.search(bare) or (_ENTITY.search(bare) and _short(bare)):
        return "strong"
    if _CODES.match(bare):
        return "codes"
    if _NAME.fullmatch(bare) and not _GREETING.fullmatch(bare):
        return "name"
    return None


def _short(line: str) -> bool:
    return len(line.split()) <= _MAX_ENTITY_WORDS and not line.endswith(("?", "!"))
