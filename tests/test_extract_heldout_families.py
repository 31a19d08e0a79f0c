"""Families of values the held-out replies (``tests/replies/ho_*``, a third writer) showed misread:
years written after their noun, a request for a quote that asks no renewal, qualifier adjectives
after a label, usernames people write without a label (initial and surname, in capitals, after
"archivio" or "renew", a label word inside the username), the signature's own codes, values of a
reply's Subject that are ours, a forward with an "Original Message" line, and answers typed between
the lines of our quoted email. Italian and English, with the look-alikes that must stay out."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.reading import read_message

CIG = "Z213346E34"
OWN = frozenset({"rinnovi@example.it"})

# -- years written after their noun, and numbers in brackets ----------------------------------------


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("è stato disposto il rinnovo del servizio per anni 2 (due).", 2),
        ("autorizzato il rinnovo del servizio per la durata di anni tre.", 3),
        ("si affida il rinnovo per un periodo di anni 4", 4),
        ("rinnovo per anni due, con pagamento a 30 giorni", 2),
        ("the renewal is approved for a term of three (3) years", 3),
        ("rinnovo per due (2) anni", 2),
    ],
)
def test_years_written_after_their_noun_or_with_a_number_in_brackets(text: str, years: int) -> None:
    result = extract_fields(text)
    assert result.fields == {"years": years}, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "usiamo il vostro servizio da anni, 2 impianti in tutto",
        "inviateci la copia delle fatture per anni 2024 e 2025",
        "per anni abbiamo pagato con bonifico",
        "un servizio che useremo per anni a venire",
        "ci serve un preventivo con l'importo del rinnovo annuale del servizio",
        "vorremmo ricevere un preventivo per il rinnovo di 2 anni",
        "could you send us a quote for a 3 year renewal?",
        "before we decide we need a quotation for renewing two years",
    ],
)
def test_years_that_are_no_request_after_all(text: str) -> None:
    result = extract_fields(text)
    assert "years" not in result.fields, text
    assert result.invalid == [], text


def test_a_renewal_after_a_quote_already_received_is_a_request() -> None:
    assert extract_fields("come da vostro preventivo, rinnovate per 2 anni").fields == {"years": 2}
    assert extract_fields("as per your quote, please renew for 2 years").fields == {"years": 2}


# -- a label followed by an adjective before its value ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aggiornate i dati riportando il C.F. corretto 92984200920 in fattura", {"fiscal_code": "92984200920"}),
        ("la partita IVA esatta 92984200920", {"vat_number": "92984200920"}),
        ("codice univoco ufficio aggiornato UFXK9T", {"office_code": "UFXK9T"}),
        ("PEC nuova protocollo.ente@pec.it", {"pec": "protocollo.ente@pec.it"}),
        ("please use the updated VAT number 92984200920", {"vat_number": "92984200920"}),
    ],
)
def test_a_value_after_a_label_and_an_adjective(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "il C.F. errato 92984200920 va sostituito",
        "la partita IVA vecchia 92984200920 non è più valida",
    ],
)
def test_the_old_value_after_a_label_and_wrong_is_no_answer(text: str) -> None:
    assert "fiscal_code" not in extract_fields(text).fields
    assert "vat_number" not in extract_fields(text).fields


# -- usernames people write without a label --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("non rinnovate il servizio mrossi alla scadenza", "mrossi"),
        ("please switch on automatic renewal for my account jsmith, thanks", "jsmith"),
        ("l'utenza gbianchi resta attiva", "gbianchi"),
        ("BUONGIORNO RINNOVO PER 1 ANNO IL SERVIZIO IMPIANTO-SUD, GRAZIE", "impianto-sud"),
        ("PLEASE RENEW THE ACCOUNT GARAGE-CAM FOR ONE MORE YEAR", "garage-cam"),
        ("l'archivio studio_ferraro è quasi pieno", "studio_ferraro"),
        ("our archive acme_docs is nearly full", "acme_docs"),
        ("yes please go ahead and renew mrossi_home", "mrossi_home"),
        ("rinnovate impianto-ovest per favore", "impianto-ovest"),
        ("Rinnovo triennale impianto-sud", "impianto-sud"),
    ],
)
def test_a_username_people_write_without_a_label(text: str, username: str) -> None:
    result = extract_fields(text)
    assert result.fields.get("username") == username, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "il servizio standard ci basta",
        "il servizio clienti non risponde",
        "the account manager will call you",
        "my account settings are wrong",
        "the account html page",
        "IL SERVIZIO DI MONITORAGGIO FUNZIONA",
        "IL SERVIZIO E-MAIL NON FUNZIONA",
        "l'archivio storico del comune",
        "please renew e-invoicing too",
        "renew it for two years",
        "yes, please renew for two years, and enable auto-renew too",
        "l'impianto elettrico è nuovo",
    ],
)
def test_no_username_from_these_words(text: str) -> None:
    result = extract_fields(text)
    assert "username" not in result.fields, text


# -- the signature's own codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "buongiorno, il codice univoco ufficio è UFQ2LM\ngrazie\n\nLa DSGA\nAnna Russo\n"
        'Istituto Comprensivo "G. Pascoli"\nC.M. BGIC81200X - C.F. 96785630748\n',
        "Codice Univoco Ufficio: UFQ2LM\n\nGrazie\nUfficio Acquisti\nARPA - Agenzia Regionale per la Protezione "
        "Ambientale\nP.IVA 96785630748\n",
        "Office code: UFQ2LM\n\nThanks\nProcurement Office\nNorthwind - Regional Water Agency\nVAT 96785630748\n",
    ],
)
def test_the_codes_of_a_signature_without_a_sign_off_are_not_the_answer(text: str) -> None:
    result = extract_fields(text, signature=True)
    assert result.fields == {"office_code": "UFQ2LM"}
    assert set(result.signature.values()) == {"96785630748"}


def test_codes_below_a_thanks_line_that_introduces_them_are_the_answer() -> None:
    result = extract_fields("Grazie per la pazienza, ecco i dati:\nC.F. 96785630748\nCUU UFQ2LM\n", signature=True)
    assert result.fields == {"fiscal_code": "96785630748", "office_code": "UFQ2LM"}


# -- whole messages: the Subject, forwards, answers between the quoted lines --------------------------


def mail(body: str, subject: str) -> bytes:
    return (
        f"From: Ufficio <ufficio@ente.example.it>\nTo: rinnovi@example.it\nSubject: {subject}\n"
        f"Message-ID: <ho1@ente.example.it>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        (
            "Grazie mille, tutto chiaro!\n\nIl 14/03/2026 11:03, Rinnovi <rinnovi@example.it> ha scritto:\n"
            "> abbiamo registrato il tuo ordine ORD-2026-000502.\n> Causale: ORD-2026-000502\n",
            "Re: Completa il tuo ordine ORD-2026-000502",
        ),
        (
            "Thanks, all clear.\n\nOn Sat, Mar 14, 2026 at 11:03 AM Renewals <rinnovi@example.it> wrote:\n"
            "> we have registered your order ORD-2026-000502.\n",
            "RE: Complete your order ORD-2026-000502",
        ),
    ],
)
def test_a_value_of_a_reply_subject_that_our_quoted_email_carries_is_ours(body: str, subject: str) -> None:
    assert read_message(mail(body, subject), own_addresses=OWN).fields == {}


@pytest.mark.parametrize(
    ("body", "subject", "expected"),
    [
        (
            "fatto il bonifico ieri per l'ordine ORD-2026-000502\n\nIl 14/03/2026, Rinnovi ha scritto:\n"
            "> abbiamo registrato il tuo ordine ORD-2026-000502.\n",
            "Re: Completa il tuo ordine ORD-2026-000502",
            {"order_number": "ORD-2026-000502"},
        ),
        (
            "eccoci.\n\nIl 14/03/2026, Rinnovi ha scritto:\n> ci servono il CIG e il codice univoco.\n",
            f"R: dati per il rinnovo - CIG {CIG}",
            {"cig": [CIG]},
        ),
        ("Paid today.", "Order ORD-2026-000502", {"order_number": "ORD-2026-000502"}),
    ],
)
def test_a_value_the_sender_writes_in_the_subject_is_read(body: str, subject: str, expected: dict[str, object]) -> None:
    assert read_message(mail(body, subject), own_addresses=OWN).fields == expected


@pytest.mark.parametrize(
    ("separator", "header", "subject"),
    [
        ("-----Messaggio originale-----", "Da: Ragioneria <rag@ente.example.it>\nInviato: martedì\n"
         "A: x@ente.example.it\nOggetto: R: dati", "I: R: dati fatturazione"),
        ("-----Original Message-----", "From: Finance <fin@ente.example.it>\nSent: Tuesday\n"
         "To: x@ente.example.it\nSubject: RE: data", "FW: RE: billing data"),
    ],
)  # fmt: skip
def test_a_forward_with_an_original_message_line_is_read(separator: str, header: str, subject: str) -> None:
    body = (
        f"vi inoltro la risposta con i dati richiesti.\nChiara\n\n{separator}\n{header}\n\n"
        f"il CIG è {CIG}, il codice univoco ufficio è UFRM71.\n\n{separator}\n"
        "Da: Rinnovi <rinnovi@example.it>\nInviato: lunedì\nA: x@ente.example.it\nOggetto: dati\n\n"
        "ordine ORD-2026-000342, IBAN IT60X0542811101000000123456\n"
    )
    assert read_message(mail(body, subject), own_addresses=OWN).fields == {"cig": [CIG], "office_code": "UFRM71"}


def test_a_reply_with_an_original_message_line_is_not_read() -> None:
    body = (
        "Grazie, procediamo.\n\n-----Messaggio originale-----\nDa: Economato <eco@ente.example.it>\n"
        f"Inviato: martedì\nA: x@ente.example.it\nOggetto: codici\n\nCIG {CIG}\n"
    )
    assert read_message(mail(body, "R: codici"), own_addresses=OWN).fields == {}


INLINE_IT = (
    "Buongiorno, rispondo qui sotto in linea.\n\n"
    "Il giorno lun 9 feb 2026 alle ore 08:00 Rinnovi <rinnovi@example.it> ha scritto:\n"
    "> per il rinnovo dell'ordine ORD-2026-000123 ci servono:\n> - il codice CIG\n\n"
    f"{CIG}\n\n> - il codice univoco ufficio\n\nSCMEJV\n\n> - lo username del portale\n\nfeltre.ambiente\n\n"
    "> Cordiali saluti\n> Ufficio Rinnovi\n"
)
INLINE_EN = (
    "Hello, answers inline below.\n\nOn Mon, Feb 9, 2026 at 8:00 AM Renewals <rinnovi@example.it> wrote:\n"
    "> To renew order ORD-2026-000123 we need:\n> - the CIG\n"
    f"{CIG}\n> - the office code\nSCMEJV\n\n> - your portal username\nfeltre.ambiente\n\n> Kind regards\n"
)


@pytest.mark.parametrize("body", [INLINE_IT, INLINE_EN])
def test_answers_typed_between_the_lines_of_our_quoted_email_are_read(body: str) -> None:
    fields = read_message(mail(body, "Re: dati per il rinnovo"), own_addresses=OWN).fields
    assert fields == {"cig": [CIG], "office_code": "SCMEJV", "username": "feltre.ambiente"}


def test_a_quoted_line_wrapped_without_its_mark_is_no_answer() -> None:
    body = (
        "Grazie, va bene.\n\nIl giorno lun 9 feb 2026 alle ore 08:00 Rinnovi <rinnovi@example.it> ha scritto:\n"
        "> abbiamo registrato il rinnovo dell'utente\nfeltre.ambiente, codice univoco ufficio\nSCMEJV\n"
        "> con ordine ORD-2026-000123.\n> Cordiali saluti\n"
    )
    assert read_message(mail(body, "Re: rinnovo"), own_addresses=OWN).fields == {}


# -- a CIG, a username said a few words after their label -------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("il CIG per il rinnovo dell'archivio è 3530829443, grazie", {"cig": ["3530829443"]}),
        ("the CIG for this year's renewal is 3530829443.", {"cig": ["3530829443"]}),
        ("Lo username è quello che usate voi, comune.montebello.", {"username": "comune.montebello"}),
        ("the username is the one you already know, acme.admin", {"username": "acme.admin"}),
    ],
)
def test_a_cig_or_username_said_a_few_words_after_its_label(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "il CIG per il rinnovo non lo abbiamo ancora, il nostro numero è 0612345678",
        "the CIG will follow; our phone number is 0612345678",
        "lo username non lo ricordo, sul sito www.example.it non compare",
        "username: non lo so. Il servizio e-mail funziona",
    ],
)
def test_no_cig_or_username_from_the_words_after_a_label(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {}, text
    assert result.invalid == [], text
