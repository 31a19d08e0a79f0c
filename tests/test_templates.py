"""Every email template, in both languages, rendered from the sample contexts.

The generic test renders every (template, language, named variant) and checks what must hold for
all of them; the others check the content each kind of email promises the customer.
"""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from mailbot.errors import InputError
from mailbot.outbound.context import (
    ALL_TEMPLATES,
    PAYMENT_TEMPLATES,
    REMINDER_TEMPLATES,
    AccountStatusContext,
    ChangeNoticeContext,
    PaymentContext,
    ReminderContext,
    ReplyContext,
    ServiceInfo,
)
from mailbot.outbound.render import LOCALES, RenderedEmail, Renderer, format_day, format_money, tidy_text
from mailbot.outbound.samples import RENEW_LINK, sample_context, sample_variants
from mailbot.understand.rules import INTENTS

LANGS = tuple(LOCALES)
BUTTONS = {
    "it": ("Rinnova il servizio", "Rinnova tutti", "Riattiva il servizio", "Riattiva tutti"),
    "en": ("Renew the service", "Renew all", "Reactivate the service", "Reactivate all"),
}
CASES = [
    pytest.param(name, lang, variant, id=f"{name}-{lang}-{variant}")
    for name in ALL_TEMPLATES
    for lang in LANGS
    for variant in sample_variants(name)
]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def render(renderer: Renderer, name: str, lang: str, **variant: Any) -> RenderedEmail:
    return renderer.render(name, lang, sample_context(name, lang, **variant))


def visible(rendered_html: str) -> str:
    """The text a reader of the HTML sees: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered_html)).split())


def both(out: RenderedEmail) -> tuple[str, str]:
    return " ".join(out.text.split()), visible(out.html)


# Every template, every language, every sample ----------------------------------------------------


@pytest.mark.parametrize(("name", "lang", "variant"), CASES)
def test_every_sample_renders_completely(renderer: Renderer, name: str, lang: str, variant: str) -> None:
    ctx = sample_context(name, lang, **sample_variants(name)[variant])
    out = renderer.render(name, lang, ctx)
    assert out.subject and "\n" not in out.subject and out.subject == out.subject.strip()
    assert out.text.endswith("\n") and "\n\n\n" not in out.text
    assert out.html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in out.html
    text, seen = both(out)
    for body in (text, seen):
        assert "None" not in body
        assert ctx.company.support_address in body
        assert ctx.customer.email in body  # the footer
    if isinstance(ctx, ReminderContext):
        for item in ctx.items:  # every item, whatever its kind, in both versions
            for fact in (item.service.label, item.service.username, item.service.product_name):
                assert fact in text and fact in seen
            expiry = format_day(item.service.expires_on, lang)
            assert expiry in text and expiry in seen
    elif isinstance(ctx, PaymentContext):
        assert ctx.order.number in out.subject
        for body in (text, seen):
            assert ctx.order.number in body
            for service in ctx.order.services:
                assert service.label in body and service.username in body
    elif isinstance(ctx, ChangeNoticeContext):
        check_notice(ctx, text, seen)
    elif isinstance(ctx, AccountStatusContext):
        assert out.subject == ctx.subject
        check_status(ctx, text, seen)
    else:
        assert isinstance(ctx, ReplyContext) and out.subject == ctx.subject
        check_reply(ctx, text, seen)


def check_reply(ctx: ReplyContext, text: str, seen: str) -> None:
    """What every automatic reply promises: the values understood and to check, the request number,
    the order and services when shown, and the card warning whenever a card number came by email."""
    never = {"it": "non invii mai il numero", "en": "never send your card number"}[ctx.lang]
    for body in (text, seen):
        for f in ctx.understood:
            assert f.value in body
        for item in ctx.invalid:
            assert item.value in body
        if ctx.ticket_id is not None:
            assert str(ctx.ticket_id) in body
        if ctx.order is not None:
            assert ctx.order.number in body
        for service in ctx.services:
            assert service.label in body and service.username in body
        assert (never in body) == (ctx.card_number_detected or ctx.intent == "card_change")


def check_notice(ctx: ChangeNoticeContext, text: str, seen: str) -> None:
    """What every notice of a change tells the holder: who asked and when, the values and services it
    used, the request staff approved, and what to do if it was not them."""
    not_you = {"it": "Se non ha richiesto Lei questa modifica", "en": "If you did not ask for this change"}[ctx.lang]
    for body in (text, seen):
        assert ctx.requested_by in body and format_day(ctx.requested_on, ctx.lang) in body
        assert not_you in body
        for f in ctx.understood:
            assert f.value in body
        for service in ctx.services:
            assert service.label in body and service.username in body
        if ctx.order is not None:
            assert ctx.order.number in body
        assert (ctx.ticket_id is not None) == (f"n. {ctx.ticket_id}" in body or f"no. {ctx.ticket_id}" in body)


def check_status(ctx: AccountStatusContext, text: str, seen: str) -> None:
    """What the account's status shows its holder: every service with its expiry (flagged in words), its
    automatic renewal, storage and status; every order with its invoice; the billing data on file."""
    flags = {
        "it": {"expired": "scaduto", "soon": "in scadenza", "warning": "quasi esaurito", "critical": "critico"},
        "en": {"expired": "expired", "soon": "expiring", "warning": "nearly full", "critical": "critically full"},
    }[ctx.lang]
    for body in (text, seen):
        for s in ctx.services:
            for fact in (s.label, s.username, s.product_name, format_day(s.expires_on, ctx.lang)):
                assert fact in body
            if s.storage_quota_mb:
                assert f"({s.storage_percent}%)" in body
        for flag in ("expired", "soon"):
            assert (flags[flag] in body) == any(s.expiry_flag == flag for s in ctx.services)
        for level in ("warning", "critical"):
            assert (flags[level] in body) == any(s.storage_level == level for s in ctx.services)
        for o in ctx.orders:
            assert o.number in body and format_money(o.due, ctx.lang) in body
            assert format_day(o.created_on, ctx.lang) in body
            if o.invoice_number:
                assert o.invoice_number in body
        for value in (ctx.billing.vat_number, ctx.billing.fiscal_code, ctx.billing.pec, ctx.billing.recipient_code):
            if value:
                assert value in body
        assert ctx.billing.address in body


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        (
            "it",
            (
                "Ecco la situazione dei Suoi servizi e dei Suoi ordini all'1 dicembre 2026.",
                "Scadenza: 31 dicembre 2026 - in scadenza tra 30 giorni",
                "Scadenza: 21 novembre 2026 - scaduto 10 giorni fa",
                "Spazio utilizzato: 4.403 MB su 5.120 MB (85%) - quasi esaurito",
                "Spazio utilizzato: 1.200 MB su 5.120 MB (23%)",
                "Rinnovo automatico: attivo (carta di pagamento)",
                "Rinnovo automatico: non attivo",
                "Stato: attivo",
                "1. Ordine ORD-2026-000123",
                "Data dell'ordine: 28 novembre 2026",
                "Importo: € 146,40",
                "Stato: in attesa di pagamento",
                "Fattura: non ancora emessa",
                "Fattura: 2025/00312",
                "Stato: annullato",
                "Fattura: -",  # a cancelled order has none to come
                "Codice fiscale: RSSMRA80A01H501U",
                "Indirizzo: Via Roma 1, 20121 Milano (MI)",
            ),
        ),
        (
            "en",
            (
                "Here is the status of your services and orders as of 1 December 2026.",
                "Expiry date: 31 December 2026 - expiring in 30 days",
                "Expiry date: 21 November 2026 - expired 10 days ago",
                "Storage used: 4,403 MB of 5,120 MB (85%) - nearly full",
                "Automatic renewal: on (payment card)",
                "Automatic renewal: off",
                "Status: active",
                "1. Order ORD-2026-000123",
                "Order date: 28 November 2026",
                "Amount: €146.40",
                "Status: awaiting payment",
                "Invoice: not issued yet",
                "Invoice: 2025/00312",
            ),
        ),
    ],
)
def test_account_status_email(renderer: Renderer, lang: str, lines: tuple[str, ...]) -> None:
    out = render(renderer, "account_status", lang)
    text = out.text.splitlines()
    for line in lines:
        assert any(t.strip() == line for t in text), line
    assert "(0%)" not in out.text  # the mailbox has no storage: no storage line
    critical = render(renderer, "account_status", lang, days=0, storage_level="critical").text
    assert {"it": "in scadenza oggi", "en": "expiring today"}[lang] in critical
    assert {"it": "(95%) - esaurito o quasi, livello critico", "en": "(95%) - critically full"}[lang] in critical
    empty = render(renderer, "account_status", lang, orders=False)
    assert {"it": "Non risultano ordini.", "en": "No orders on file."}[lang] in empty.text
    pa = render(renderer, "account_status", lang, customer="pa")
    for body in both(pa):
        assert "UFV4K2" in body and {"it": "Scissione dei pagamenti: sì", "en": "Split payment: yes"}[lang] in body
    assert "color:#b42318" in out.html  # the flags stand out


@pytest.mark.parametrize(
    ("lang", "subject", "done"),
    [
        ("it", "Conferma di una modifica al Suo account", "Il rinnovo automatico è stato disattivato"),
        ("en", "A change has been made to your account", "Automatic renewal has been switched off"),
    ],
)
def test_account_change_notice(renderer: Renderer, lang: str, subject: str, done: str) -> None:
    out = render(renderer, "account_change", lang)
    assert out.subject == subject
    for body in both(out):
        assert done in body and "ufficio.acquisti@rossi-impianti.example.org" in body
    approved = render(renderer, "account_change", lang, **sample_variants("account_change")["billing_update_approved"])
    assert "M5UXCR1" in approved.text and "42" in approved.text


# Formats -----------------------------------------------------------------------------------------


def test_italian_dates_and_money(renderer: Renderer) -> None:
    text, seen = both(render(renderer, "expiry_reminder", "it"))
    assert "Scade il 31 dicembre 2026 (tra 30 giorni)" in text
    assert "31 dicembre 2026" in seen
    out = render(renderer, "payment_instructions", "it")
    for body in both(out):
        assert "Imponibile: € 1.234,56" in body
        assert "dell'1 dicembre 2026" in body  # the article is elided before "1", "8", "11"


def test_english_dates_and_money(renderer: Renderer) -> None:
    text, seen = both(render(renderer, "expiry_reminder", "en"))
    assert "Expires on 31 December 2026 (in 30 days)" in text
    assert "31 December 2026" in seen
    for body in both(render(renderer, "payment_instructions", "en")):
        assert "Net amount: €1,234.56" in body


def test_italian_articles_before_dates(renderer: Renderer) -> None:
    ctx = sample_context("grace_reminder", "it")
    assert isinstance(ctx, ReminderContext)
    item = ctx.items[0]
    service = dataclasses.replace(item.service, expires_on=item.service.expires_on.replace(day=11))
    item = dataclasses.replace(item, service=service, grace_ends_on=service.expires_on + timedelta(days=90))
    text, _ = both(renderer.render("grace_reminder", "it", dataclasses.replace(ctx, items=(item,))))
    assert "È scaduto l'11 dicembre 2026" in text
    assert "fino all'11 marzo 2027" in text


# Reminders ---------------------------------------------------------------------------------------


def test_mixed_reminder_lists_every_kind(renderer: Renderer) -> None:
    out = render(renderer, "expiry_reminder", "it", **sample_variants("expiry_reminder")["mixed"])
    for body in both(out):
        for label in ("In scadenza", "Scaduto, riattivabile", "Sospeso", "Rinnovo automatico"):
            assert label in body
        assert "Carta in scadenza" in body and "Spazio quasi esaurito" in body
        assert "tra 30 giorni" in body  # expiry
        assert "Può ancora riattivarlo fino al" in body  # grace
        assert "È sospeso" in body  # suspension
        assert "con la carta di pagamento registrata: non deve fare nulla" in body  # autorenew
        assert "Ci chieda la sostituzione della carta" in body  # card_expiring
        assert "Spazio utilizzato: 85%" in body  # storage
    assert "6 servizi" in out.subject


@pytest.mark.parametrize("lang", LANGS)
def test_renew_link_shown_only_when_given(renderer: Renderer, lang: str) -> None:
    with_link = render(renderer, "expiry_reminder", lang, **sample_variants("expiry_reminder")["mixed"])
    button = {"it": "Rinnova tutti i servizi selezionati", "en": "Renew all selected services"}[lang]
    for body in both(with_link):
        assert RENEW_LINK in body and button in body
    assert f'href="{RENEW_LINK}"' in with_link.html
    mixed = sample_variants("expiry_reminder")["mixed"]["kinds"]
    for name in ("expiry_reminder", "grace_reminder"):
        for kinds in ((), mixed):
            without = render(renderer, name, lang, kinds=kinds, renew_link=False)
            assert "<a " not in without.html  # the renew button is the only link of a reminder
            for body in both(without):
                assert RENEW_LINK not in body
                for label in BUTTONS[lang]:
                    assert label not in body
    for name in ("autorenew_notice", "card_expiring", "storage_alert", "suspension_notice"):
        assert RENEW_LINK not in render(renderer, name, lang).text  # nothing to renew: no call to action


def test_grace_link_reactivates(renderer: Renderer) -> None:
    text, seen = both(render(renderer, "grace_reminder", "it"))
    assert "Riattiva il servizio" in seen and "Riattiva il servizio:" in text
    assert "Rinnova" not in text


@pytest.mark.parametrize(
    ("lang", "tomorrow", "plural_one"), [("it", "Scade domani", "1 giorni"), ("en", "tomorrow", "1 days")]
)
def test_one_day_is_singular(renderer: Renderer, lang: str, tomorrow: str, plural_one: str) -> None:
    for name in ("expiry_reminder", "autorenew_notice"):
        out = render(renderer, name, lang, days=1)
        assert plural_one not in out.text and plural_one not in out.html
    assert tomorrow in render(renderer, "expiry_reminder", lang, days=1).text
    ctx = sample_context("grace_reminder", lang)
    assert isinstance(ctx, ReminderContext)
    last_day = dataclasses.replace(ctx, today=ctx.items[0].grace_ends_on - timedelta(days=1))
    text = renderer.render("grace_reminder", lang, last_day).text
    assert {"it": "(domani)", "en": "(tomorrow)"}[lang] in text
    eleven = dataclasses.replace(ctx, today=ctx.items[0].grace_ends_on - timedelta(days=11))
    assert {"it": "(tra 11 giorni)", "en": "(in 11 days)"}[lang] in renderer.render("grace_reminder", lang, eleven).text


def test_expiry_day_itself(renderer: Renderer) -> None:
    out = render(renderer, "expiry_reminder", "it", days=0)
    assert out.subject.endswith("scade oggi")
    assert "Scade oggi, 31 dicembre 2026." in out.text
    assert "today" in render(renderer, "expiry_reminder", "en", days=0).subject


@pytest.mark.parametrize(
    ("lang", "warning"),
    [("it", "non invii mai il numero o altri dati della carta per email"), ("en", "never send your card number")],
)
def test_card_expiring_warns_never_to_email_card_data(renderer: Renderer, lang: str, warning: str) -> None:
    out = render(renderer, "card_expiring", lang)
    for body in both(out):
        assert warning in body
        assert {"it": "novembre 2026", "en": "November 2026"}[lang] in body  # the card's last month
        assert {"it": "modulo di contatto del sito", "en": "contact form on our website"}[lang] in body
        assert {"it": "dal portale", "en": "from the portal"}[
            lang
        ] not in body  # a request to staff, never self-service
    assert warning not in render(renderer, "expiry_reminder", lang).text  # only where a card matters


@pytest.mark.parametrize(("lang", "late"), [("it", "È scaduto il 31 dicembre 2026 (ieri)."), ("en", "Expired on")])
def test_the_expiry_day_email_sent_a_day_late_says_it_expired(renderer: Renderer, lang: str, late: str) -> None:
    out = render(renderer, "expiry_reminder", lang, days=-1)
    assert late in out.text
    assert {"it": "è scaduto il 31 dicembre 2026", "en": "expired on"}[lang] in out.subject
    assert {"it": "Scade il", "en": "Expires on"}[lang] not in out.text


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_critical_storage_alert_has_its_own_subject(renderer: Renderer, lang: str) -> None:
    warning = render(renderer, "storage_alert", lang).subject
    critical = render(renderer, "storage_alert", lang, storage_level="critical", extra_gb=1).subject
    assert warning.split(":")[0] != critical.split(":")[0]


@pytest.mark.parametrize(("lang", "hello"), [("it", "Gentile Mario Rossi,"), ("en", "Dear Mario Rossi,")])
def test_a_named_person_is_greeted_by_name(renderer: Renderer, lang: str, hello: str) -> None:
    assert render(renderer, "expiry_reminder", lang).text.startswith(hello)


def test_storage_alert(renderer: Renderer) -> None:
    text, seen = both(render(renderer, "storage_alert", "it"))
    for body in (text, seen):
        assert "85% (4.403 MB su 5.120 MB), livello di attenzione" in body
        assert "serviranno circa 2 GB in più" in body
        assert "unità da 1 GB, valide un anno" in body
    critical = render(renderer, "storage_alert", "it", storage_level="critical", extra_gb=1)
    assert "livello critico" in critical.text and "servirà circa 1 GB in più" in critical.text
    assert "95% utilizzato" in critical.subject
    assert "dovrebbe bastare" in render(renderer, "storage_alert", "it", extra_gb=0).text


# Payments ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAYMENT_TEMPLATES[:2])
def test_bank_transfer_data(renderer: Renderer, name: str) -> None:
    ctx = sample_context(name, "it")
    assert isinstance(ctx, PaymentContext)
    for body in both(renderer.render(name, "it", ctx)):
        assert f"IBAN: {ctx.bank.iban}" in body
        assert f"Beneficiario: {ctx.bank.beneficiary}" in body
        assert f"Causale: Ordine {ctx.order.number}" in body
        assert f"Importo: {format_money(ctx.order.due, 'it')}" in body
    full = both(render(renderer, "payment_instructions", "it"))
    for body in full:
        assert "vale per un solo anno e prevede spese di gestione di € 3,00" in body
        assert "2-3 giorni dopo la registrazione del pagamento" in body
        assert "Il rinnovo sarà completato non appena il pagamento sarà registrato" in body
    en = render(renderer, "payment_instructions", "en").text
    assert "Payment reference: Order 2026-000123" in en and "for one year only" in en and "€3.00" in en


@pytest.mark.parametrize("method", ["postal_slip", "paypal", "card"])
def test_other_payment_methods(renderer: Renderer, method: str) -> None:
    ctx = sample_context("payment_instructions", "it", method=method)
    assert isinstance(ctx, PaymentContext)
    text, seen = both(renderer.render("payment_instructions", "it", ctx))
    for body in (text, seen):
        assert ctx.bank.iban not in body
        assert "Spese di gestione" not in body  # the fee is for bank transfers
        if method == "postal_slip":
            assert f"Conto corrente postale: {ctx.postal.account}" in body
            assert f"Intestato a: {ctx.postal.holder}" in body
            assert f"Causale: Ordine {ctx.order.number}" in body
        else:
            assert ctx.pay_link in body
            assert "pochi minuti dopo il pagamento" in body
    if method == "paypal":
        assert "anche senza un conto PayPal" in text


@pytest.mark.parametrize(("lang", "reply"), [("it", "rispondere a questa email"), ("en", "reply to this email")])
def test_public_administration_split_payment(renderer: Renderer, lang: str, reply: str) -> None:
    out = render(renderer, "payment_instructions", lang, customer="pa")
    fields = {"it": ("codice CIG", "codice univoco ufficio", "nome utente del portale"), "en": ("CIG code",)}[lang]
    for body in both(out):
        assert "17-ter DPR 633/72" in body
        assert reply in body
        for field in fields:
            assert field in body
        assert format_money(sample_net_plus_fee(), lang) in body  # what they pay: net + fee, no VAT
    assert out.text.startswith({"it": "Spett.le Comune di Castelnuovo,", "en": "Dear Comune di Castelnuovo,"}[lang])
    complete = render(renderer, "payment_instructions", lang, customer="pa", pa_missing=())
    assert reply in out.text
    received = {"it": "Abbiamo ricevuto i dati", "en": "We have received the details"}[lang]
    assert received in complete.text and "Z213346E34" in complete.text and "UFV4K2" in complete.text
    assert received not in out.text
    if lang == "it":
        only_cig = render(renderer, "payment_instructions", lang, customer="pa", pa_missing=("cig",)).text
        assert "- codice CIG" in only_cig and "codice univoco ufficio" not in only_cig


def sample_net_plus_fee() -> Decimal:
    ctx = sample_context("payment_instructions", "it", customer="pa")
    assert isinstance(ctx, PaymentContext) and ctx.order.split_payment
    assert ctx.order.due == ctx.order.net + ctx.order.fee
    return ctx.order.due


def test_payment_reminder(renderer: Renderer) -> None:
    first = render(renderer, "payment_reminder", "it")
    assert first.subject.startswith("Promemoria: ordine n. 2026-000123")
    assert "annullato automaticamente" in first.text and "entro il 31 dicembre 2026" in first.text
    assert "IBAN: IT60X0542811101000000123456" in first.text
    assert "vale per un solo anno" not in first.text  # the brief version
    second = render(renderer, "payment_reminder", "en", reminder_number=2)
    assert second.subject.startswith("Second reminder: order 2026-000123")
    assert "cancelled automatically" in second.text


def test_order_cancelled(renderer: Renderer) -> None:
    out = render(renderer, "order_cancelled", "it")
    for body in both(out):
        assert "annullato automaticamente il 31 dicembre 2026" in body
        assert "IT60X0542811101000000123456" not in body
        assert "rispondere a questa email indicando quali servizi rinnovare" in body
    assert "annullato" in out.subject


# Safety and structure ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TEMPLATES)
def test_html_escapes_customer_data(renderer: Renderer, name: str) -> None:
    evil = "<script>alert(1)</script> S.r.l."
    out = render(renderer, name, "it", customer="company", customer_name=evil)
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; S.r.l." in out.html
    assert f"Spett.le {evil}," in out.text  # plain text is not escaped


def test_html_escapes_service_labels(renderer: Renderer) -> None:
    ctx = sample_context("expiry_reminder", "it")
    assert isinstance(ctx, ReminderContext)
    service = dataclasses.replace(ctx.items[0].service, label='Casa "Nord" <b>&</b>\nbis')
    item = dataclasses.replace(ctx.items[0], service=service)
    out = renderer.render("expiry_reminder", "it", dataclasses.replace(ctx, items=(item,)))
    assert "<b>" not in out.html and "&lt;b&gt;&amp;&lt;/b&gt;" in out.html
    assert "\n" not in out.subject and 'Casa "Nord" <b>&</b> bis' in out.subject


def test_every_template_has_its_six_files() -> None:
    root = Renderer().root
    assert set(Renderer().names()) == set(ALL_TEMPLATES)
    for name in ALL_TEMPLATES:
        assert sorted(p.name for p in (root / name).iterdir()) == sorted(LANGS)
        for lang in LANGS:
            files = sorted(p.name for p in (root / name / lang).iterdir())
            assert files == ["body.html", "body.txt", "subject.txt"], f"{name}/{lang}: {files}"


def test_languages_define_the_same_wording() -> None:
    env = Renderer().text_env
    names = {}
    for lang in LANGS:
        module = env.get_template(f"_partials/{lang}/words.j2").make_module({"lang": lang})
        names[lang] = {n for n in dir(module) if not n.startswith("_")}
        for table in (
            "L",
            "KIND_LABELS",
            "ORDER_TYPES",
            "COMPLETES",
            "PA_FIELDS",
            "STATUS_LABELS",
            "SERVICE_STATUSES",
            "ORDER_STATUSES",
            "STORAGE_FLAGS",
        ):
            names[lang] |= {f"{table}.{key}" for key in getattr(module, table)}
    assert names["it"] == names["en"]


def test_every_intent_has_its_words() -> None:
    """A reply names each request it answers (``REQUESTS``, ``PART_TITLES``): every intent, both languages."""
    env = Renderer().text_env
    for lang in LANGS:
        module = env.get_template(f"_partials/{lang}/words.j2").make_module({"lang": lang})
        for table in ("REQUESTS", "PART_TITLES"):
            assert set(getattr(module, table)) == set(INTENTS), f"{lang} {table}"


def test_missing_field_is_an_error(renderer: Renderer) -> None:
    ctx = sample_context("expiry_reminder", "it")
    fields = [(f.name, f.type) for f in dataclasses.fields(ReminderContext) if f.name != "renew_link"]
    partial_cls = dataclasses.make_dataclass("NoRenewLink", fields)
    partial = partial_cls(**{name: getattr(ctx, name) for name, _ in fields})
    with pytest.raises(UndefinedError, match="renew_link"):
        renderer.render("expiry_reminder", "it", partial)

    assert isinstance(ctx, ReminderContext)
    service_fields = [(f.name, f.type) for f in dataclasses.fields(ServiceInfo) if f.name != "username"]
    service_cls = dataclasses.make_dataclass("NoUsername", service_fields)
    service = service_cls(**{name: getattr(ctx.items[0].service, name) for name, _ in service_fields})
    item = dataclasses.replace(ctx.items[0], service=service)
    with pytest.raises(UndefinedError, match="username"):
        renderer.render("expiry_reminder", "it", dataclasses.replace(ctx, items=(item,)))


def test_unknown_kind_is_an_error(renderer: Renderer) -> None:
    ctx = sample_context("expiry_reminder", "it")
    assert isinstance(ctx, ReminderContext)
    item = dataclasses.replace(ctx.items[0], kind="mystery")
    with pytest.raises(UndefinedError):
        renderer.render("expiry_reminder", "it", dataclasses.replace(ctx, items=(item,)))


def test_samples_reject_unknown_names() -> None:
    with pytest.raises(InputError, match="colour"):
        sample_context("expiry_reminder", "it", colour="red")
    with pytest.raises(InputError, match="nope"):
        sample_context("nope", "it")
    for name in REMINDER_TEMPLATES:
        ctx = sample_context(name, "en")
        assert isinstance(ctx, ReminderContext) and ctx.customer.language == "en"
        assert ctx.items[0].service.expires_on.isoformat() == "2026-12-31"


def test_tidy_text() -> None:
    assert tidy_text("\n\nA  \n\n\n\nB\t\n  C\n\n") == "A\n\nB\n  C\n"
    assert Path(Renderer().root).name == "mail"


def test_compile_all_compiles_every_template_and_names_a_broken_one(tmp_path: Path) -> None:
    shipped = Renderer()
    assert shipped.compile_all() == len(shipped.text_env.list_templates()) > 3 * len(shipped.names())
    mail = tmp_path / "mail"
    shutil.copytree(shipped.root, mail)
    (mail / "reply_received" / "en" / "body.html").write_text("<p>{{ customer.name </p>\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"template reply_received/en/body.html line 1: unexpected"):
        Renderer(tmp_path).compile_all()


def test_a_name_with_a_line_break_greets_on_one_line(renderer: Renderer) -> None:
    ctx = sample_context("expiry_reminder", "it")
    hostile = dataclasses.replace(ctx, customer=dataclasses.replace(ctx.customer, name="Mario\n  Rossi\x1b[2J\u202e"))
    assert renderer.render("expiry_reminder", "it", hostile).text.split("\n")[0] == "Gentile Mario Rossi [2J,"
