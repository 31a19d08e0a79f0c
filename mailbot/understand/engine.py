"""Evaluating the rules on the facts of one message: the decision and the trace of hits and misses.

Every rule is evaluated (in priority order) so that staff see why each one hit or missed; the first
hit wins, none gives ``other``. A rule misses at its first failing condition, which the trace names.

A message may ask several things at once ("rinnovate per un anno; CIG ..., codice ufficio ..."): the
first hit of every other intent is one more request (``Decision.requests``, in ``ACTING_ORDER``), unless
its rule does not combine (``Rule.combines``: weak evidence decides only when it is the strongest).
Requests that contradict each other (``CONTRADICTIONS``: renew one service and cancel another, say)
are all kept, and the weaker is named in ``Decision.contradicted``: a person reads the message before
anything is done. ``other`` is never a request beside another.
A ``text_any`` match counts only when its sentence holds none of the rule's ``sentence_none`` patterns
(a negation undoes a request in its own sentence, not in the next one, nor across a contrast: "il nord
va rinnovato, mentre il sud non va rinnovato").
Text patterns run on the new text with whitespace collapsed (a line break is a space) and typographic
apostrophes made plain, so ``rinnovo automatico`` matches a wrapped line and ``l’ordine`` ``l'ordine``.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mailbot.domain import ACTING_ORDER, CONTRADICTIONS, Intent
from mailbot.understand.rules import Conditions, Rule, RuleSet

_SPACE = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_SNIPPET = 60
_BACKREFERENCE = re.compile(r"\\[1-9]|\\g<|\(\?P=")
_WORD = re.compile(r"\w+")
# The end of a sentence: a full stop, semicolon, question or exclamation mark before a space or the end;
# for ``sentence_none``, also a turn to a contrast ("..., mentre quello sud non va rinnovato", "..., but
# do not renew the other one"): a negation there undoes nothing before it.
_STOP = re.compile(
    r"[.;?!]+(?=\s|$)|,(?=\s+(?:ma|però|pero|mentre|invece|but|whereas|while)\b)|\s(?=mentre\b|whereas\b)"
)
# The first letters of a word that the word filter keeps (``_anchors``); longer anchors are cut to these.
_PREFIX = 6
# CPython's own regular expression parser, read for the words a pattern starts with (``_anchors``).
_PARSER: Any = importlib.import_module("re._parser")
# Letters that match a letter of another script when case is ignored (the long s matches s, the Kelvin
# sign k) or that lower to two letters: in a text holding one the word filter is not used.
_CASE_TWINS = re.compile(
    "["
    + "".join(sorted({chr(c) for c in importlib.import_module("re._casefix")._EXTRA_CASES if c > 127}))
    + "\u0130\u212a\u212b]"
)


@dataclass(frozen=True)
class Facts:
    """What the rules may look at. ``customer_kind`` None means unmatched or unknown (the dry run)."""

    sender_kind: str
    text: str
    headers: Sequence[tuple[str, str]] = ()
    fields: frozenset[str] = frozenset()  # names of the fields extracted, valid or invalid
    customer_kind: str | None = None


class TraceEntry(NamedTuple):
    """One rule's line in the trace. A named tuple: a message makes one per rule, in the listener."""

    rule: str
    intent: str
    priority: int
    hit: bool
    why: str

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "intent": self.intent, "priority": self.priority, "hit": self.hit, "why": self.why}


@dataclass(frozen=True)
class Request:
    """One thing a message asks, by the first rule of its intent that hit."""

    intent: str
    rule: str
    confidence: float
    extractors: frozenset[str]


@dataclass(frozen=True)
class Decision:
    intent: str
    rule: str | None  # the winning rule, None when nothing hit
    confidence: float
    extractors: frozenset[str] | None  # every request's fields; None: no rule hit, keep every field
    trace: tuple[TraceEntry, ...] = field(default=())
    # Every request, in ACTING_ORDER (the winner's among them); empty when no rule hit.
    requests: tuple[Request, ...] = ()
    # Requests that contradict a stronger one: a person reads the message before anything is done.
    contradicted: tuple[str, ...] = ()

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(r.intent for r in self.requests) or (self.intent,)


def normalise_text(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_APOSTROPHES)).strip()


class Text(NamedTuple):
    """The new text as the patterns see it, and the first letters of its words (``None``: unknown, every
    pattern is searched). A pattern that can only start at one of its anchor words (``_anchors``) is
    searched only when the text has a word starting so: most rules miss most messages, and one set
    lookup per word tells it for a fraction of a search."""

    text: str
    words: frozenset[str] | None


def text_of(facts: Facts) -> Text:
    text = normalise_text(facts.text)
    if _CASE_TWINS.search(text):
        return Text(text, None)
    words = {w.lower() for w in _WORD.findall(text)}
    return Text(text, frozenset(w[:n] for w in words for n in range(1, min(len(w), _PREFIX) + 1)))


class RuleCheck(NamedTuple):
    """One rule checked on everything but the matched customer's kind, which only matching knows:
    the sender condition, then the conditions after the customer's (``rest``: held, why it missed,
    and what held). ``complete`` finishes it once the kind is known. A named tuple: the reading
    worker sends one per rule and message, and a tuple pickles at a fraction of a dataclass's cost."""

    sender: tuple[bool, str]
    rest: tuple[bool, str, tuple[str, ...]]


@dataclass(frozen=True)
class RuleChecks:
    """Every rule of a rule set checked ahead (``precheck``), for ``evaluate`` to finish."""

    rules: tuple[str, ...]  # the rule names, in order: the checks serve only the very same rules
    checks: tuple[RuleCheck, ...]

    def serves(self, rules: RuleSet) -> bool:
        return self.rules == rules.names


def evaluate(rules: RuleSet, facts: Facts, ahead: RuleChecks | None = None) -> Decision:
    """Run every rule on ``facts``; the first hit in priority order decides the intent. ``ahead`` is
    ``precheck(rules, facts)`` done beforehand (by the reading worker): only the customer's kind is
    checked here."""
    checks = ahead.checks if ahead is not None and ahead.serves(rules) else precheck(rules, facts).checks
    trace = []
    hits: list[Rule] = []
    for rule, pre in zip(rules.rules, checks, strict=True):
        hit, why = complete(rule.when, pre, facts.customer_kind)
        trace.append(TraceEntry(rule.name, rule.intent, rule.priority, hit, why))
        if hit:
            hits.append(rule)
    if not hits:
        return Decision(Intent.OTHER, None, 0.0, None, tuple(trace))
    winner = hits[0]
    chosen, contradicted = requests_of(hits)
    extractors = frozenset().union(*(r.extractors for r in chosen))
    return Decision(winner.intent, winner.name, winner.confidence, extractors, tuple(trace), chosen, contradicted)


def requests_of(hits: Sequence[Rule]) -> tuple[tuple[Request, ...], tuple[str, ...]]:
    """The requests of the rules that hit (strongest first): the winner's, then the first hit of each
    other intent that combines, in ``ACTING_ORDER``; and those that contradict one taken before them."""
    winner = hits[0]
    taken = {winner.intent: winner}
    contradicted: list[str] = []
    if winner.intent != Intent.OTHER:
        for rule in hits[1:]:
            if rule.intent in taken or rule.intent == Intent.OTHER or not rule.combines:
                continue
            if any(frozenset({rule.intent, intent}) in CONTRADICTIONS for intent in taken):
                contradicted.append(rule.intent)
            taken[rule.intent] = rule
    order: dict[str, int] = {intent: n for n, intent in enumerate(ACTING_ORDER)}
    requests = tuple(
        Request(rule.intent, rule.name, rule.confidence, rule.extractors)
        for rule in sorted(taken.values(), key=lambda rule: order.get(rule.intent, len(order)))
    )
    return requests, tuple(contradicted)


def precheck(rules: RuleSet, facts: Facts) -> RuleChecks:
    """Every rule checked on ``facts`` but for the customer's kind (pure: the reading worker runs it)."""
    text = text_of(facts)
    return RuleChecks(rules.names, tuple(_precheck(rule.when, facts, text) for rule in rules.rules))


def complete(when: Conditions, pre: RuleCheck, customer_kind: str | None) -> tuple[bool, str]:
    """(hit, why) of a rule from its ``RuleCheck`` and the customer's kind, the conditions taken in their
    order (sender, customer, the rest): why names every condition that held on a hit, or the first
    that failed on a miss."""
    ok, why = pre.sender
    if not ok:
        return False, why
    held = [why]
    ok, why = _customer(when, customer_kind)
    if not ok:
        return False, why
    held.append(why)
    ok, why, rest = pre.rest
    if not ok:
        return False, why
    return True, "; ".join(w for w in (*held, *rest) if w)


_UNSEEN: tuple[bool, str, tuple[str, ...]] = (False, "", ())


def _precheck(when: Conditions, facts: Facts, text: Text) -> RuleCheck:
    sender = _sender(when, facts, text)
    if not sender[0]:
        return RuleCheck(sender, _UNSEEN)  # the rest is never looked at
    held: list[str] = []
    for test in (_fields, _headers, _text_none, _text_all, _text_any):
        ok, why = test(when, facts, text)
        if not ok:
            return RuleCheck(sender, (False, why, ()))
        if why:
            held.append(why)
    return RuleCheck(sender, (True, "", tuple(held)))


def _sender(when: Conditions, facts: Facts, text: Text) -> tuple[bool, str]:
    return _sender_check(when.sender_kinds, facts.sender_kind)


# The answers that depend on the rule alone are made once and shared: every message's checks travel
# from the reading worker, and the same object is sent once per batch.
@functools.lru_cache(maxsize=1024)
def _sender_check(kinds: frozenset[str], kind: str) -> tuple[bool, str]:
    if kind in kinds:
        return True, f"sender {kind}"
    return False, f"sender kind {kind} not in {_list(kinds)}"


@functools.lru_cache(maxsize=1024)
def _missing_fields(fields: frozenset[str]) -> tuple[bool, str]:
    return False, f"none of the fields {_list(fields)} found"


@functools.lru_cache(maxsize=64)
def _no_text(tried: int) -> tuple[bool, str]:
    return False, f"no text pattern matched ({tried} tried)"


def _customer(when: Conditions, customer_kind: str | None) -> tuple[bool, str]:
    if when.customer_kinds is None:
        return True, ""
    kind = customer_kind or "unknown"
    if kind in when.customer_kinds:
        return True, f"customer {kind}"
    unknown = " (no matched customer)" if customer_kind is None else ""
    return False, f"customer kind {kind}{unknown} not in {_list(when.customer_kinds)}"


def _fields(when: Conditions, facts: Facts, text: Text) -> tuple[bool, str]:
    excluded = sorted(when.fields_none & facts.fields)
    if excluded:
        return False, f"has the excluded fields {', '.join(excluded)}"
    if not when.fields_any:
        return True, ""
    found = sorted(when.fields_any & facts.fields)
    if found:
        return True, f"fields {', '.join(found)}"
    return _missing_fields(when.fields_any)


def _headers(when: Conditions, facts: Facts, text: Text) -> tuple[bool, str]:
    held = []
    for cond in when.headers:
        values = [v for n, v in facts.headers if n.lower() == cond.name]
        if not values:
            return False, f"no {cond.name} header"
        match = next((m for v in values if (m := cond.pattern.search(v))), None)
        if match is None:
            return False, f"{cond.name} does not match /{cond.pattern.pattern}/"
        held.append(f"{cond.name} {_quote(match)}")
    return True, "; ".join(held)


def _text_none(when: Conditions, facts: Facts, text: Text) -> tuple[bool, str]:
    for pattern in _candidates(when.text_none, text):
        match = pattern.search(text.text)
        if match:
            return False, f"text has excluded {_quote(match)}"
    return True, ""


def _text_all(when: Conditions, facts: Facts, text: Text) -> tuple[bool, str]:
    held = []
    for pattern in when.text_all:
        match = pattern.search(text.text)
        if match is None:
            return False, f"text lacks /{pattern.pattern}/"
        held.append(_quote(match))
    return True, f"text {' + '.join(held)}" if held else ""


def _text_any(when: Conditions, facts: Facts, text: Text) -> tuple[bool, str]:
    if not when.text_any:
        return True, ""
    excluded = ""
    for pattern in _candidates(when.text_any, text):
        if not when.sentence_none:
            match = pattern.search(text.text)
            if match:
                return True, f"text {_quote(match)}"
            continue
        for match in pattern.finditer(text.text):
            sentence = _sentence(text.text, match)
            against = next(
                (m for p in _candidates(when.sentence_none, sentence) if (m := p.search(sentence.text))), None
            )
            if against is None:
                return True, f"text {_quote(match)}"
            excluded = excluded or f"text {_quote(match)} excluded by {_quote(against)} in its sentence"
    return (False, excluded) if excluded else _no_text(len(when.text_any))


def _sentence(text: str, match: re.Match[str]) -> Text:
    """The sentence holding ``match``: from the end of the one before to its own end, its mark included."""
    start = max((m.end() for m in _STOP.finditer(text) if m.end() <= match.start()), default=0)
    end = _STOP.search(text, match.end())
    sentence = text[start : end.end() if end else len(text)].strip()
    return Text(sentence, None)


def _candidates(patterns: tuple[re.Pattern[str], ...], text: Text) -> Sequence[re.Pattern[str]]:
    """The patterns that may match ``text``, in their order: those whose anchor words it has (all when
    its words are unknown), or none when one search of them joined (``_any_of``) finds nothing."""
    if text.words is not None:
        words = text.words
        every, each = _anchors(patterns)
        if every is not None and every.isdisjoint(words):
            return ()
        return [
            p for p, anchors in zip(patterns, each, strict=True) if anchors is None or not anchors.isdisjoint(words)
        ]
    quick = _any_of(patterns)
    if quick is not None and quick.search(text.text) is None:
        return ()
    return patterns


@functools.lru_cache(maxsize=1024)
def _anchors(
    patterns: tuple[re.Pattern[str], ...],
) -> tuple[frozenset[str] | None, tuple[frozenset[str] | None, ...]]:
    """For each pattern, the words (their first ``_PREFIX`` letters, lower case) one of which starts
    every match: ``\\b(disattiv|togli)\\w* il`` gives {disatt, togli}. None when the pattern may match
    elsewhere than at the start of a word, or starts with no fixed letters. First, all of them together
    (None when one pattern has none): a text with none of these words matches none of the patterns."""
    each = tuple(_anchor_words(p) for p in patterns)
    every = None if any(a is None for a in each) else frozenset(w for a in each if a is not None for w in a)
    return every, each


def _anchor_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    try:
        items = list(_PARSER.parse(pattern.pattern, pattern.flags).data)
    except (re.error, AttributeError, TypeError, ValueError):  # another Python: no filter, every search made
        return None
    at_word = False
    for op, av in items:
        if op is not _PARSER.AT and op is not _PARSER.ASSERT and op is not _PARSER.ASSERT_NOT:
            break
        at_word = at_word or (op is _PARSER.AT and av in (_PARSER.AT_BOUNDARY, _PARSER.AT_BEGINNING_STRING))
        at_word = at_word or (op is _PARSER.AT and av is _PARSER.AT_BEGINNING and not pattern.flags & re.MULTILINE)
    heads, _ = _heads(items)
    words = [_WORD.match(h) for h in heads]  # the first word of each: the text's words are one by one
    if not at_word or not words or not all(words):
        return None
    return frozenset(w.group().lower()[:_PREFIX] for w in words if w)


def _heads(items: Sequence[tuple[Any, Any]]) -> tuple[set[str], bool]:
    """The fixed letters every match of the parsed ``items`` starts with, one string per way, and
    whether they are all of it (nothing follows that is not fixed)."""
    heads = {""}
    for op, av in items:
        if op is _PARSER.LITERAL:
            heads = {h + chr(av) for h in heads}
            continue
        if op is _PARSER.AT or op is _PARSER.ASSERT or op is _PARSER.ASSERT_NOT:
            continue  # no letter taken
        if op is _PARSER.SUBPATTERN:
            more, whole = _heads(av[-1])
        elif op is _PARSER.BRANCH:
            ways = [_heads(branch) for branch in av[1]]
            more, whole = set().union(*(w for w, _ in ways)), all(w for _, w in ways)
        else:
            return heads, False
        heads = {h + m for h in heads for m in more}
        if not whole or len(heads) > 256:
            return heads, False
    return heads, True


@functools.lru_cache(maxsize=1024)
def _any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One pattern that matches wherever one of ``patterns`` does: one search tells that none of them
    matches (most rules miss most messages); on a match the patterns are searched one by one, so the
    trace is the same. None for fewer than two, or where joining could change a pattern's meaning (a
    backreference would count the groups of the others) or does not compile (an inline global flag)."""
    if len(patterns) < 2 or any(_BACKREFERENCE.search(p.pattern) for p in patterns):
        return None
    if len({p.flags for p in patterns}) != 1:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:
        return None


def _quote(match: re.Match[str]) -> str:
    found = match.group(0)
    return repr(found if len(found) <= _SNIPPET else found[: _SNIPPET - 1] + "…")


def _list(values: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"
