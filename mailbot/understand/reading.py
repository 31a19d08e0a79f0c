"""The whole understanding step, bytes in, ``Understanding`` out: pure, no database, no clock, no mail.

Two halves so the pipeline can match the customer in between: ``read_message`` (redact card numbers
in the raw bytes and in the text, parse, classify, split the reply, extract fields) and ``decide``
(evaluate the rules, choose the fields, decide whether a person must review). ``understand`` runs
both with an unknown customer, as the dry run does.

Fields come from the new text of the reply, from forwarded messages and from the Subject (without its
Re:/R:/Fwd: words), never from the quoted copy of our own email (nor from a forwarded copy of it).
When several values are found the new text comes first, the Subject last; ``cig`` and ``cup`` keep
every distinct value, other fields the first one. The sender's own data in their signature (the
office's fiscal code below "Cordiali saluti") are not the answer: they are kept in ``Reading.signature``.
Every invalid value is reported in ``Understanding.invalid``, whatever the intent; the fields follow
the winning rule's extractors. The rules read the Subject when it is the sender's (a new message's, or
one the text points to: "vedi oggetto"), the new text, then the messages the sender forwards (a
colleague's, a superior's: "see below from my boss"), never our own.

The reply splitter, the extractors and the rules read the first ``READ_LIMIT`` characters of the
text; card numbers are masked in all of it.

Mail nobody wrote (auto-replies, bounces, lists) is recorded and never answered: the rules give it
``other`` and it never needs review (a permanent bounce only marks an address undeliverable).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from typing import Any

from mailbot.domain import SenderKind
from mailbot.understand.addresses import is_own_address
from mailbot.understand.bounces import BounceInfo
from mailbot.understand.cards.find import redact_text
from mailbot.understand.classify import classify
from mailbot.understand.engine import Decision, Facts, Request, RuleChecks, TraceEntry, evaluate, precheck
from mailbot.understand.extract.fields import Extraction, InvalidValue, extract_fields
from mailbot.understand.extract.labels import LIST_FIELDS, SENDER_FIELDS
from mailbot.understand.extract.methods import find_payment_method
from mailbot.understand.identifiers import normalise
from mailbot.understand.mime import ParsedMessage, parse_message
from mailbot.understand.quotes import (
    InlineAnswer,
    inline_answers,
    is_reply_subject,
    is_separator_line,
    split_reply,
    subject_words,
)
from mailbot.understand.redaction.message import redact_and_parse
from mailbot.understand.rules import DEFAULT_REVIEW_THRESHOLD, SENSITIVE_INTENTS, RuleSet

# Characters of text the reply splitter, the extractors and the rules read (the new text first, then
# forwarded messages): what a person writes fits many times over, and a message made to be slow (or
# a rule's pattern that backtracks) costs no more than this, however large the message. Card numbers
# are looked for in all of it.
READ_LIMIT = 64 * 1024
_SUBJECT_LIMIT = 1000
_FROM_LINE = re.compile(r"^[ \t>*]*(?:from|da|de|von)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# A subject that says the message is forwarded ("I:", "Fwd:", "FW:", "TR:", "WG:", "Inoltro:").
_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[[^\]\n]{0,40}\]\s*)?(?:i|fw|fwd|tr|wg|inoltro)\s*:", re.IGNORECASE)
# A text that says the request is the Subject ("vedi oggetto", "come da oggetto", "as per subject").
_SEE_SUBJECT = re.compile(
    r"\b(?:vedi|vedere|come da|come in|come indicato in|cfr\.?|v\.)\s+(?:l')?oggetto\b"
    r"|\b(?:as per|see|as in|as stated in)\s+(?:the\s+)?subject\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """What the message says, before any rule: everything here is already redacted."""

    raw: bytes  # the raw message with card numbers redacted: the only copy to store
    message: ParsedMessage
    kind: str
    bounce: BounceInfo | None
    kind_reasons: tuple[str, ...]
    new_text: str
    fields: Mapping[str, Any]
    invalid: tuple[InvalidValue, ...]
    card_number_detected: bool
    # How the sender asks to pay (``extract.methods``: "con bonifico", "by card"), None when not said.
    payment_method: str | None = None
    # A card number still to be seen in ``raw`` (a copy stored before card numbers were masked
    # everywhere): then no reply may say it was removed.
    card_number_kept: bool = False
    # The rules checked ahead on this reading (``with_rule_checks``, by the reading worker): then
    # ``decide`` only checks the matched customer's kind.
    rule_checks: RuleChecks | None = field(default=None, compare=False, repr=False)
    # The sender's own data read in their signature (the office's fiscal code, VAT number, PEC, IBAN,
    # office code): who writes, not the answer, so never in ``fields``.
    signature: Mapping[str, str] = field(default_factory=dict)
    # The words of the messages the sender forwards (a colleague's, a superior's: not our own email),
    # read by the rules after ``new_text``: "see below from my boss" asks what the boss wrote.
    forwarded_text: str = ""


@dataclass(frozen=True)
class Understanding:
    reading: Reading
    intent: str  # the main request: the strongest rule's
    rule: str | None
    confidence: float
    fields: Mapping[str, Any]  # only the requests' extractors
    invalid: tuple[InvalidValue, ...]  # every invalid value read, whatever the intent: none may go unseen
    needs_review: bool
    review_reasons: tuple[str, ...]
    trace: tuple[TraceEntry, ...]
    # Every request of the message in the order they are acted on (``engine``); ``(intent,)`` alone
    # when it asks one thing (or nothing: ``other``).
    requests: tuple[Request, ...] = ()
    contradicted: tuple[str, ...] = ()  # requests that contradict a stronger one (``engine``)

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(r.intent for r in self.requests) or (self.intent,)


def understand(
    raw: bytes,
    rules: RuleSet,
    *,
    own_addresses: frozenset[str] = frozenset(),
    customer_kind: str | None = None,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
) -> Understanding:
    reading = read_message(raw, own_addresses=own_addresses)
    return decide(reading, rules, customer_kind=customer_kind, review_threshold=review_threshold)


def read_message(
    raw: bytes,
    *,
    own_addresses: frozenset[str] = frozenset(),
    redacted: bool = False,
    parsed: Message | None = None,
) -> Reading:
    """Everything the message says, card numbers masked. ``redacted=True`` says ``raw`` already went
    through ``redact_raw_message`` (a stored message: ``store.store_raw`` redacts before writing), which
    spares a second MIME walk; the text and the reply are still checked. ``parsed``, with ``redacted``
    only, is the redaction's parse of these very bytes (``redaction.redact_and_parse``), spared a second parse."""
    if redacted:
        card_in_raw = False
    else:
        raw, card_in_raw, parsed = redact_and_parse(raw)
    msg = parse_message(raw, parsed)
    classification = classify(msg, raw, own_addresses)
    text, card_in_text = redact_text(msg.text)
    parts = split_reply(within_limit(text))
    new_text, card_in_reply = redact_text(parts.new_text)
    signature_text, card_in_signature = redact_text(parts.signature)
    sources = [new_text]
    card_in_forwarded = False
    left = READ_LIMIT - len(new_text)
    for block in [*msg.forwarded, *forwarded_thread(parts.quoted, msg.subject, own_addresses)]:
        redacted_block, found = redact_text(block)
        card_in_forwarded |= found
        if left > 0 and not is_own_copy(block, own_addresses):
            sources.append(within_limit(redacted_block, left))
            left -= len(sources[-1])
    extractions = [extract_fields(source, signature=True) for source in sources if source.strip()]
    extractions[1:1] = [answered(item) for item in inline_answers(parts.quoted)]
    subject = within_limit(subject_words(msg.subject), _SUBJECT_LIMIT)
    if subject:  # after the body: the body's values come first
        from_subject = extract_fields(subject)
        if is_reply_subject(msg.subject):  # our own subject: what our quoted email carries is ours
            from_subject = only_values_in(from_subject, parts.quoted, keep_years=True, keep_outside=True)
        extractions.append(from_subject)
    if signature_text.strip():  # the "-- " block the reply splitter set apart: only the sender's data
        extractions.append(sender_data(signature_text))
    fields, invalid, signature = merge(extractions)
    kept = card_in_text or card_in_reply or card_in_signature or card_in_forwarded
    return Reading(
        raw=raw,
        message=msg,
        kind=classification.kind,
        bounce=classification.bounce,
        kind_reasons=tuple(classification.reasons),
        new_text=new_text.strip(),
        fields=fields,
        invalid=invalid,
        card_number_detected=card_in_raw or kept,
        payment_method=find_payment_method(new_text),
        card_number_kept=kept,
        signature=signature,
        forwarded_text="\n\n".join(source.strip() for source in sources[1:] if source.strip()),
    )


def within_limit(text: str, limit: int | None = None) -> str:
    """``text`` up to ``limit`` (READ_LIMIT) characters, cut at a line end when one is near."""
    limit = READ_LIMIT if limit is None else limit
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def decide(
    reading: Reading,
    rules: RuleSet,
    *,
    customer_kind: str | None = None,
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
) -> Understanding:
    decision = evaluate(rules, rule_facts(reading, customer_kind), reading.rule_checks)
    keep = decision.extractors
    fields = {k: v for k, v in reading.fields.items() if keep is None or k in keep}
    reasons = review_reasons(reading, decision, reading.invalid, review_threshold)
    return Understanding(
        reading=reading,
        intent=decision.intent,
        rule=decision.rule,
        confidence=decision.confidence,
        fields=fields,
        invalid=reading.invalid,
        needs_review=bool(reasons),
        review_reasons=reasons,
        trace=decision.trace,
        requests=decision.requests,
        contradicted=decision.contradicted,
    )


def rule_facts(reading: Reading, customer_kind: str | None = None) -> Facts:
    """What the rules look at in ``reading``: the new text, the messages the sender forwards, and the
    Subject when it is theirs (``subject_request``), last: a pattern anchored at the start still meets the
    message's first words."""
    found = frozenset(reading.fields) | {v.field for v in reading.invalid}
    parts = [reading.new_text, reading.forwarded_text, subject_request(reading)]
    text = "\n\n".join(part for part in parts if part)
    return Facts(reading.kind, text, reading.message.headers, found, customer_kind)


def subject_request(reading: Reading) -> str:
    """The Subject's words, as a sentence of their own, when they are the sender's: a new message's (not
    "Re:" nor "Fwd:": those are our subject), or any message whose text points to it ("vedi oggetto",
    "as per subject"); else nothing."""
    subject = reading.message.subject or ""
    words = subject_words(subject)
    ours = is_reply_subject(subject) or _FORWARD_SUBJECT.match(subject) is not None
    if not words or (ours and not _SEE_SUBJECT.search(reading.new_text)):
        return ""
    return words.rstrip(".!?;") + "."


def with_rule_checks(reading: Reading, rules: RuleSet) -> Reading:
    """``reading`` with ``rules`` checked on it ahead, but for the customer's kind (pure)."""
    return replace(reading, rule_checks=precheck(rules, rule_facts(reading)))


def review_reasons(
    reading: Reading, decision: Decision, invalid: tuple[InvalidValue, ...], threshold: float
) -> tuple[str, ...]:
    """Why a person must look before anything is done; empty for machines (never answered)."""
    if reading.kind != SenderKind.HUMAN:
        return ()
    reasons = []
    sensitive = [intent for intent in decision.intents if intent in SENSITIVE_INTENTS]
    if sensitive:
        verb = "touch" if len(sensitive) > 1 else "touches"
        reasons.append(f"{', '.join(sensitive)} {verb} money, billing identity or service state")
    if decision.contradicted:
        reasons.append(f"{decision.intent} contradicted by {', '.join(decision.contradicted)}: a person reads it")
    if invalid:
        reasons.append("invalid values: " + ", ".join(sorted({v.field for v in invalid})))
    if reading.card_number_detected:
        reasons.append("card number sent by email")
    confidence = min([decision.confidence, *(r.confidence for r in decision.requests)])
    if confidence < threshold:
        reasons.append(f"confidence {confidence:.2f} below {threshold:.2f}")
    return tuple(reasons)


def answered(item: InlineAnswer) -> Extraction:
    """The values of an answer typed under a line of our quoted email, read with that line as its label
    ("> - il codice CIG" over "Z213346E34"): only those the answer holds."""
    return only_values_in(extract_fields(f"{item.asked}\n{item.answer}"), item.answer, keep_years=False)


def only_values_in(extraction: Extraction, text: str, *, keep_years: bool, keep_outside: bool = False) -> Extraction:
    """``extraction`` with only the values written in ``text`` (``keep_outside``: with only those not
    written there); years are kept or dropped as ``keep_years`` says."""
    written = normalise(text)

    def kept(value: str) -> bool:
        return (normalise(value) in written) != keep_outside

    fields: dict[str, Any] = {}
    for name, value in extraction.fields.items():
        if isinstance(value, list):
            values = [v for v in value if kept(v)]
            if values:
                fields[name] = values
        elif (keep_years and name == "years") or (isinstance(value, str) and kept(value)):
            fields[name] = value
    invalid = [bad for bad in extraction.invalid if (keep_years and bad.field == "years") or kept(bad.value)]
    return Extraction(fields=fields, invalid=invalid, signature=dict(extraction.signature))


def forwarded_thread(quoted: str, subject: str, own_addresses: frozenset[str]) -> list[str]:
    """A forward without a marker line (Outlook's "I:" over a "Da:/Inviato:/A:/Oggetto:" block): the
    quoted messages, each from its From/Da line, down to the first one from us (never read); none when
    the subject does not say the message is forwarded (a reply's quote is never the answer)."""
    if not _FORWARD_SUBJECT.match(subject) or not quoted.strip():
        return []
    starts = [m.start() for m in _FROM_LINE.finditer(quoted)]
    if not starts or not all(not line.strip() or is_separator_line(line) for line in quoted[: starts[0]].split("\n")):
        return []  # the quote does not start with a header block ("-----Original Message-----" may come first)
    blocks = []
    for start, end in zip(starts, [*starts[1:], len(quoted)], strict=True):
        block = quoted[start:end]
        if is_own_copy(block, own_addresses):
            break
        blocks.append(block)
    return blocks


def is_own_copy(block: str, own_addresses: frozenset[str]) -> bool:
    """A forwarded block whose first From/Da line names one of our addresses (``+tag`` ignored)."""
    match = _FROM_LINE.search(block[:2000])
    if match is None or not own_addresses:
        return False
    return any(is_own_address(a, own_addresses) for a in _ADDRESS.findall(match.group(1)))


def merge(
    extractions: Iterable[Extraction],
) -> tuple[dict[str, Any], tuple[InvalidValue, ...], dict[str, str]]:
    """Fields, invalid values and the sender's data of several extractions, the first ones first: list
    fields collect distinct values, the others keep the first value."""
    fields: dict[str, Any] = {}
    invalid: dict[tuple[str, str], InvalidValue] = {}
    signature: dict[str, str] = {}
    for extraction in extractions:
        for name, value in extraction.fields.items():
            if name in LIST_FIELDS:
                values = value if isinstance(value, list | tuple) else [value]
                merged = fields.setdefault(name, [])
                merged.extend(v for v in values if v not in merged)
            else:
                fields.setdefault(name, value)
        for item in extraction.invalid:
            invalid.setdefault((item.field, item.value), item)
        for name, text in extraction.signature.items():
            signature.setdefault(name, text)
    return fields, tuple(invalid.values()), signature


def sender_data(signature_text: str) -> Extraction:
    """The sender's data (``SENDER_FIELDS``) of a text that is all signature, as an extraction's signature."""
    found = extract_fields(signature_text).fields
    return Extraction(signature={k: v for k, v in found.items() if k in SENDER_FIELDS and isinstance(v, str)})


def to_json(understanding: Understanding, file: str) -> dict[str, Any]:
    """The dry-run contract: exactly these keys, JSON-ready."""
    bounce = understanding.reading.bounce
    return {
        "file": file,
        "message_id": understanding.reading.message.message_id,
        "sender": understanding.reading.message.from_address,
        "kind": understanding.reading.kind,
        "bounce": None if bounce is None else {"recipients": list(bounce.recipients), "permanent": bounce.permanent},
        "intent": understanding.intent,
        "intents": list(understanding.intents),
        "fields": {k: list(v) if isinstance(v, list | tuple) else v for k, v in understanding.fields.items()},
        "invalid": [{"field": v.field, "value": v.value, "reason": v.reason} for v in understanding.invalid],
        "card_number_detected": understanding.reading.card_number_detected,
        "needs_review": understanding.needs_review,
        "reply_text": understanding.reading.new_text,
        "rules": [t.to_dict() for t in understanding.trace],
    }
