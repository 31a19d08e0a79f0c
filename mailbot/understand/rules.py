"""The declarative rules of ``rules/*.toml``, loaded and validated into frozen values.

A rule file holds ``[[rule]]`` tables::

    [[rule]]
    name = "autorenew_off_it"            # unique across all files
    description = "Asks to switch automatic renewal off"
    intent = "autorenew_off"             # one of INTENTS
    priority = 80                        # the highest priority hit wins
    confidence = 0.9                     # 0..1; below the review threshold a person checks
    extractors = ["username"]            # fields (FIELDS) kept from the extraction
    combines = true                      # default; false: a hit adds no request beside a stronger one
    [rule.when]                          # every condition given must hold
    sender_kind = ["human"]              # default ["human"]; machines may only give "other"
    customer_kind = ["pa"]               # private|company|pa|unknown; absent = any
    headers = [{ name = "Subject", regex = "disdetta" }]
    text_any = ['disattiv\\w* .{0,30}rinnovo automatico']   # on the NEW text, case-insensitive
    text_all = []
    text_none = []
    sentence_none = ['\\bse\\b']          # a text_any match counts only if its sentence has none of these
    fields_any = ["cig"]                 # one of these fields was extracted (valid or not)
    fields_none = ["payment_reference"]  # none of these fields was extracted

Every problem is reported at once, each naming the file and the rule (``RulesError``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailbot.domain import Intent, SenderKind
from mailbot.errors import InputError

INTENTS = (
    Intent.PA_BILLING_DETAILS,
    Intent.RENEWAL_REQUEST,
    Intent.CARD_CHANGE,
    Intent.AUTORENEW_OFF,
    Intent.AUTORENEW_ON,
    Intent.PAYMENT_NOTICE,
    Intent.BILLING_UPDATE,
    Intent.UPGRADE_REQUEST,
    Intent.CANCELLATION,
    Intent.INVOICE_REQUEST,
    Intent.STATUS_REQUEST,
    Intent.OTHER,
)
# Intents touching money, billing identity or a service's state: never applied without a person
# or a verified sender.
SENSITIVE_INTENTS = frozenset(INTENTS) - {Intent.INVOICE_REQUEST, Intent.STATUS_REQUEST, Intent.OTHER}
FIELDS = (
    "cig",
    "cup",
    "office_code",
    "recipient_code",
    "vat_number",
    "fiscal_code",
    "pec",
    "username",
    "order_number",
    "years",
    "payment_reference",
    "iban",
)
# A winning rule's confidence below this sends the message to a person.
DEFAULT_REVIEW_THRESHOLD = 0.8
SENDER_KINDS = tuple(SenderKind)
# CustomerKind's values (mailbot.db.models) plus "unknown": no matched customer, as in the dry run.
CUSTOMER_KINDS = ("private", "company", "pa", "unknown")

_RULE_KEYS = {"name", "description", "intent", "priority", "confidence", "extractors", "combines", "when"}
_REQUIRED = ("name", "description", "intent", "priority", "confidence", "when")
_WHEN_KEYS = {
    "sender_kind",
    "customer_kind",
    "headers",
    "text_any",
    "text_all",
    "text_none",
    "sentence_none",
    "fields_any",
    "fields_none",
}
_FLAGS = re.IGNORECASE | re.UNICODE


class RulesError(InputError):
    """The rule files are wrong; ``problems`` lists each one as ``file: rule 'name': what``."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("invalid rules:\n  " + "\n  ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class HeaderCondition:
    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Conditions:
    sender_kinds: frozenset[str]
    customer_kinds: frozenset[str] | None  # None: any customer kind, matched or not
    headers: tuple[HeaderCondition, ...] = ()
    text_any: tuple[re.Pattern[str], ...] = ()
    text_all: tuple[re.Pattern[str], ...] = ()
    text_none: tuple[re.Pattern[str], ...] = ()
    # A text_any match counts only when the sentence holding it matches none of these.
    sentence_none: tuple[re.Pattern[str], ...] = ()
    fields_any: frozenset[str] = frozenset()
    fields_none: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    intent: str
    priority: int
    confidence: float
    extractors: frozenset[str]
    when: Conditions
    source: str  # the file it came from
    # A hit adds its intent as one more request of the message beside a stronger one (``engine``);
    # False: the rule only decides when it is the strongest hit (words alone, weak evidence).
    combines: bool = True


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]  # in evaluation order: priority, then confidence, descending; then file order
    files: tuple[str, ...]
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)  # of ``rules``, in order

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(rule.name for rule in self.rules))

    def by_intent(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(INTENTS, 0)
        for rule in self.rules:
            counts[rule.intent] += 1
        return counts


def load_rules(directory: Path) -> RuleSet:
    """Read every ``*.toml`` in ``directory`` (sorted by name) into a validated ``RuleSet``."""
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise RulesError([f"{directory}: no *.toml rule files"])
    documents = []
    for path in paths:
        try:
            documents.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError([f"{path.name}: cannot read: {exc}"]) from None
    return parse_rules(documents)


def parse_rules(documents: Iterable[tuple[str, str]]) -> RuleSet:
    """Validate ``(file name, TOML text)`` pairs into a ``RuleSet``; raise ``RulesError`` listing every problem."""
    problems: list[str] = []
    rules: list[Rule] = []
    files: list[str] = []
    seen: dict[str, str] = {}
    for source, text in documents:
        files.append(source)
        for raw in _rule_tables(source, text, problems):
            rule = _build_rule(source, raw, problems)
            if rule is None:
                continue
            if rule.name in seen:
                problems.append(f"{source}: rule {rule.name!r}: duplicate name (also in {seen[rule.name]})")
                continue
            seen[rule.name] = source
            rules.append(rule)
    if problems:
        raise RulesError(problems)
    if not rules:
        raise RulesError([f"{', '.join(files) or '(no files)'}: no rules defined"])
    order = sorted(range(len(rules)), key=lambda i: (-rules[i].priority, -rules[i].confidence, i))
    return RuleSet(rules=tuple(rules[i] for i in order), files=tuple(files))


def _rule_tables(source: str, text: str, problems: list[str]) -> list[Mapping[str, Any]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{source}: TOML syntax: {exc}")
        return []
    for key in sorted(set(doc) - {"rule"}):
        problems.append(f"{source}: unknown top-level key {key!r} (rules are [[rule]] tables)")
    tables = doc.get("rule", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(f"{source}: 'rule' must be an array of tables ([[rule]])")
        return []
    return tables


def _build_rule(source: str, raw: Mapping[str, Any], problems: list[str]) -> Rule | None:
    name = raw.get("name")
    where = f"{source}: rule {name!r}" if isinstance(name, str) and name else f"{source}: rule without a name"
    errors: list[str] = []
    errors += [f"missing key {key!r}" for key in _REQUIRED if key not in raw]
    errors += [f"unknown key {key!r}" for key in sorted(set(raw) - _RULE_KEYS)]
    if "name" in raw and not (isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", name)):
        errors.append("name: expected a word of letters, digits, '_', '.', '-'")
    description = raw.get("description", "")
    if not isinstance(description, str) or ("description" in raw and not description.strip()):
        errors.append("description: expected a non-empty string")
    intent = raw.get("intent", Intent.OTHER)
    if intent not in INTENTS:
        errors.append(f"intent: unknown intent {intent!r} (known: {', '.join(INTENTS)})")
    priority = raw.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        errors.append(f"priority: expected an integer, got {priority!r}")
    confidence = raw.get("confidence", 0.0)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        errors.append(f"confidence: expected a number from 0 to 1, got {confidence!r}")
    extractors = _names(raw.get("extractors", []), FIELDS, "extractors", "extractor", errors)
    combines = raw.get("combines", True)
    if not isinstance(combines, bool):
        errors.append(f"combines: expected true or false, got {combines!r}")
    when = _build_conditions(raw.get("when", {}), intent, errors)
    if errors:
        problems.extend(f"{where}: {e}" for e in errors)
        return None
    assert when is not None and isinstance(name, str)
    return Rule(name, description, intent, priority, float(confidence), extractors, when, source, combines is True)


def _build_conditions(raw: Any, intent: Any, errors: list[str]) -> Conditions | None:
    if not isinstance(raw, dict):
        errors.append("when: expected a table of conditions")
        return None
    errors += [f"when: unknown key {key!r}" for key in sorted(set(raw) - _WHEN_KEYS)]
    if not raw:
        errors.append("when: no conditions (a rule must say when it applies)")
    senders = _names(
        raw.get("sender_kind", [SenderKind.HUMAN]), SENDER_KINDS, "when.sender_kind", "sender kind", errors
    )
    if intent != Intent.OTHER and senders - {SenderKind.HUMAN}:
        errors.append(f"when.sender_kind: machines ({', '.join(sorted(senders - {'human'}))}) may only give 'other'")
    sentence_none = _patterns(raw.get("sentence_none", []), "when.sentence_none", errors)
    if sentence_none and not raw.get("text_any"):
        errors.append("when.sentence_none: needs text_any (it reads the sentence of a text_any match)")
    customers = None
    if "customer_kind" in raw:
        customers = _names(raw["customer_kind"], CUSTOMER_KINDS, "when.customer_kind", "customer kind", errors)
    return Conditions(
        sender_kinds=senders,
        customer_kinds=customers,
        headers=_headers(raw.get("headers", []), errors),
        text_any=_patterns(raw.get("text_any", []), "when.text_any", errors),
        text_all=_patterns(raw.get("text_all", []), "when.text_all", errors),
        text_none=_patterns(raw.get("text_none", []), "when.text_none", errors),
        sentence_none=sentence_none,
        fields_any=_names(raw.get("fields_any", []), FIELDS, "when.fields_any", "field", errors),
        fields_none=_names(raw.get("fields_none", []), FIELDS, "when.fields_none", "field", errors),
    )


def _names(value: Any, known: Sequence[str], key: str, what: str, errors: list[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{key}: expected a list of strings, got {value!r}")
        return frozenset()
    for v in value:
        if v not in known:
            errors.append(f"{key}: unknown {what} {v!r} (known: {', '.join(known)})")
    return frozenset(v for v in value if v in known)


def _patterns(value: Any, key: str, errors: list[str]) -> tuple[re.Pattern[str], ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{key}: expected a list of regular expressions, got {value!r}")
        return ()
    compiled = []
    for i, pattern in enumerate(value):
        try:
            compiled.append(re.compile(pattern, _FLAGS))
        except re.error as exc:
            errors.append(f"{key}[{i}]: bad regex {pattern!r}: {exc}")
    return tuple(compiled)


def _headers(value: Any, errors: list[str]) -> tuple[HeaderCondition, ...]:
    if not isinstance(value, list):
        errors.append(f"when.headers: expected a list of {{name, regex}} tables, got {value!r}")
        return ()
    result = []
    for i, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or set(item) != {"name", "regex"}
            or not all(isinstance(v, str) for v in item.values())
        ):
            errors.append(f"when.headers[{i}]: expected {{ name = ..., regex = ... }}, got {item!r}")
            continue
        try:
            result.append(HeaderCondition(item["name"].lower(), re.compile(item["regex"], _FLAGS)))
        except re.error as exc:
            errors.append(f"when.headers[{i}].regex: bad regex {item['regex']!r}: {exc}")
    return tuple(result)
