"""A reply's own words, apart from the quoted copy and the signature.

`split_reply` cuts the text at the first reply header (Italian, English, French, German and a few
more: "Il giorno ... ha scritto:", "In data ... ha scritto:", "On ... wrote:" also wrapped over
lines, "-----Messaggio originale-----", Outlook's "Da:/Inviato:/A:/Oggetto:" and
"From:/Sent:/To:/Subject:" blocks, forwarded-message markers, lines starting with ">"). From what
is left it drops a "-- " signature block and mobile footers ("Inviato da iPhone", "Sent from
my ..."), keeping the closing courtesy ("Cordiali saluti, Mario") in the new text, where the
extractors and staff expect it. Values in the quoted part are never the customer's answer, but for
answers typed between its ">" lines (``inline_answers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WROTE = (
    r"wrote|writes|ha scritto|scrisse|a écrit|a ecrit|schrieb|escribió|escribio|escreveu|schreef|skrev|skrive"
    r"|napisał\(a\)|napisał|napisała|napisal|kirjoitti|написал|написала|έγραψε|yazdı|írta|napsal|wrote on"
)
_WROTE_LINE = re.compile(rf"^.{{0,300}}\b({_WROTE})\s*:?\s*$", re.IGNORECASE)
_WROTE_ANY = re.compile(rf"^.{{0,300}}\b({_WROTE})(\s.{{0,200}})?:\s*$", re.IGNORECASE)
_WROTE_START = re.compile(
    r"^\s*(on|il|in data|le|am|el|em|op|den|d\.|w dniu|dne|el día|on \w+,|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4})\b",
    re.IGNORECASE,
)
_DATED_AUTHOR = re.compile(r"^(?=.{0,200}\d).{0,300}<[^<>@\s]+@[^<>\s]+>\"?\s*:\s*$")
_GMAIL_DATED = re.compile(
    r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}(\s+\d{1,2}:\d{2}\s+GMT[+-]\d{1,2}:?\d{2}\s+.{1,100}|\s.{1,100}<[^<>@\s]+@[^<>\s]+>)\s*:?\s*$"
)
_SEPARATOR = re.compile(
    r"^\s*[-_=*]{2,}\s*(original message|messaggio originale|messaggio inoltrato|forwarded message"
    r"|ursprüngliche nachricht|weitergeleitete nachricht|message d'origine|message transféré|mensaje original"
    r"|mensagem original|oorspronkelijk bericht|oprindelig meddelelse|originalmeddelande|ursprungligt meddelande"
    r"|alkuperäinen viesti|wiadomość oryginalna|original|reply message|oprindelig besked|исходное сообщение)"
    r"\s*[-_=*]{2,}\s*$"
    r"|^\s*(begin forwarded message|inizio messaggio inoltrato)\s*:\s*$",
    re.IGNORECASE,
)
_FROM_FIELD = re.compile(
    r"^\s*[*>]?\s*\*?(from|da|de|von|van|fra|od|från|lähettäjä|от|mittente|afsender|date|data|dato|sent|inviato"
    r"|message du)\s*:\*?\s*\S",
    re.IGNORECASE,
)
_OTHER_FIELD = re.compile(
    r"^\s*[*>]?\s*\*?(sent|inviato|date|data|to|a|subject|oggetto|cc|gesendet|datum|an|betreff|envoyé|à|objet"
    r"|enviado|fecha|para|asunto|verzonden|aan|onderwerp|sendt|til|emne|skickat|till|ämne|wysłane|do|temat"
    r"|lähetetty|vastaanottaja|aihe|dátum|tárgy|destinatario|inviato il|enviada|kopie|kopia|envoyé le|copie à|dato"
    r"|from|da|de|von|van|fra|od|från)\s*:",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*([-_=]\s*){4,}$")
_SIG_DELIMITER = re.compile(r"^(--|—|-- ?)\s*$")
_MOBILE = re.compile(
    r"^\s*[(<]*\s*(sent from|sent with|sent via|sent using|sent by|inviato da|inviato dal mio|envoyé de|envoyé depuis"
    r"|von meinem|gesendet von|enviado desde|enviado do|verzonden met|verzonden vanaf|verstuurd vanaf|skickat från"
    r"|sendt fra|wysłane z|get outlook for|envoyé à partir de|scarica outlook per|ottieni outlook per"
    r"|from my iphone|from my android"
    r"|diese nachricht wurde von meinem|someone from mobile|從我的)\b",
    re.IGNORECASE,
)


# The words a mail program puts before a subject (Re:, R:, I:, Fwd:, AW:, SV:...), with a counter
# ("Re[2]:") or a tag ("[EXT]") next to them: never part of what the subject says.
_SUBJECT_PREFIX = re.compile(
    r"(?<![^\W_])(?:re|r|i|fw|fwd|rif|ris|aw|wg|sv|vs|tr|antw|odp|res|enc|rv|inoltro|risposta)"
    r"[ \t]*(?:\[\d+\]|\(\d+\))?[ \t]*:|^[ \t]*\[[^\]\n]{0,40}\]",
    re.IGNORECASE,
)


_REPLY_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]\n]{0,40}\]\s*)?(?:re|r|ris|aw|sv|antw|odp|res|rv|risposta)[ \t]*(?:\[\d+\]|\(\d+\))?[ \t]*:",
    re.IGNORECASE,
)
# A quoted line that asks for what is typed under it: a question, a list item, a line ending with a colon.
_ASKS = re.compile(r"^[-*•·–]|^\d+[.)]\s|[?:]$")


@dataclass(frozen=True)
class ReplyParts:
    new_text: str
    quoted: str
    signature: str


def split_reply(text: str) -> ReplyParts:
    """New text, quoted text and signature of a reply body (plain text)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = find_quote_start(lines)
    head, quoted = lines[:cut], lines[cut:]
    if not any(line.strip() for line in head):
        head, quoted = _bottom_post(quoted)
    body, signature = _split_signature(head)
    return ReplyParts(_join(body), _join(quoted), _join(signature))


def is_separator_line(line: str) -> bool:
    """A line that opens a quoted or forwarded message ("-----Original Message-----")."""
    return _SEPARATOR.match(line) is not None


def is_reply_subject(subject: str) -> bool:
    """A subject a mail program wrote when replying ("Re:", "R:", "AW:", "Risposta:"): the rest is ours."""
    return _REPLY_SUBJECT.match(subject) is not None


@dataclass(frozen=True)
class InlineAnswer:
    asked: str  # the quoted line above the answer, without its ">"
    answer: str


def inline_answers(quoted: str) -> list[InlineAnswer]:
    """Answers typed between the ">" lines of a quoted email: runs of unmarked lines with quoted lines
    above and below, set apart by a blank line or under a question, a list item or a line ending with a
    colon (a quoted line wrapped without its mark is none)."""
    lines = quoted.split("\n")
    marked = [i for i, line in enumerate(lines) if line.lstrip().startswith(">")]
    if len(marked) < 2:
        return []
    answers: list[InlineAnswer] = []
    i = marked[0]
    while i < marked[-1]:
        if lines[i].lstrip().startswith(">") or not lines[i].strip():
            i += 1
            continue
        start = i
        while i < marked[-1] and lines[i].strip() and not lines[i].lstrip().startswith(">"):
            i += 1
        above = next(j for j in range(start - 1, -1, -1) if lines[j].lstrip().startswith(">"))
        asked = lines[above].strip().lstrip(">").strip()
        apart = not lines[start - 1].strip() or not lines[i].strip()
        if apart or _ASKS.search(asked):
            answers.append(InlineAnswer(asked, "\n".join(lines[start:i])))
    return answers


def subject_words(subject: str) -> str:
    """A subject without its reply and forward words, wherever they are ("R: I: CIG ..." -> "CIG ...")."""
    return " ".join(_SUBJECT_PREFIX.sub(" ", subject).split())


def _bottom_post(lines: list[str]) -> tuple[list[str], list[str]]:
    """Nothing above the quote: the answer is what follows the first ">" block, if anything."""
    i = 0
    while i < len(lines) and not lines[i].lstrip().startswith(">"):
        i += 1
    while i < len(lines) and (lines[i].lstrip().startswith(">") or not lines[i].strip()):
        i += 1
    rest = lines[i:]
    if i == 0 or not any(line.strip() for line in rest) or find_quote_start(rest) != len(rest):
        return [], lines
    return rest, lines[:i]


def find_quote_start(lines: list[str]) -> int:
    """Index of the first line of the quoted part (len(lines) when there is none)."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.lstrip().startswith(">") or _SEPARATOR.match(line) or _is_header_block(lines, i):
            return _include_rule_above(lines, i)
        wrote = _wrote_header_end(lines, i)
        if wrote is not None:
            return _include_rule_above(lines, i)
    return len(lines)


def _wrote_header_end(lines: list[str], i: int) -> int | None:
    """Index of the line ending an "On ... wrote:" header starting at line i (wrapped up to 3 lines)."""
    line = lines[i].strip().strip("-").strip()
    if _DATED_AUTHOR.match(line) or _GMAIL_DATED.match(line):
        return i
    if _WROTE_LINE.match(line) and (_WROTE_START.match(line) or "@" in line or re.search(r"\d", line)):
        return i
    if _WROTE_ANY.match(line) and (_WROTE_START.match(line) or "@" in line):
        return i
    if not (_WROTE_START.match(line) or re.search(r"\d", line)):
        return None
    joined = line.strip()
    for j in range(i + 1, min(i + 3, len(lines))):
        if not lines[j].strip() or lines[j].lstrip().startswith(">"):
            return None  # a quoted line goes on no header of the text above it
        joined = f"{joined} {lines[j].strip()}"
        if _DATED_AUTHOR.match(joined) or (_WROTE_ANY.match(joined) and ("@" in joined or _WROTE_START.match(line))):
            return j
    return None


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook-style header block: a From/Da line followed by at least two more header fields."""
    if not _FROM_FIELD.match(lines[i]):
        return False
    fields = 0
    for line in lines[i + 1 : i + 9]:
        if _OTHER_FIELD.match(line):
            fields += 1
            if fields >= 2:
                return True
    return False


def _include_rule_above(lines: list[str], i: int) -> int:
    """Move the cut up over blank lines to an Outlook "____" rule directly above the header."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and _RULE.match(lines[j]) else i


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    for i, line in enumerate(lines):
        if _SIG_DELIMITER.match(line) and i > 0:
            return lines[:i], lines[i:]
    content = [i for i, line in enumerate(lines) if line.strip()]
    for i in content[-6:]:
        if _MOBILE.match(lines[i]) and i != content[0]:
            return lines[:i], lines[i:]
    return lines, []


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()
