"""Families of values the replies of ``tests/replies`` showed misread (people who never saw the
extractor): years said in words, adjectives and months; payment references after "rif."/"reference";
usernames without a label; codes said a few words after their label; invalid values reported as
written. Each family in Italian and English, and the look-alikes that must stay out."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields

# -- years said every way ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("rinnovatemi pure per un altro anno", 1),
        ("rinnoviamo per un ulteriore anno", 1),
        ("rinnovate per altri due anni", 2),
        ("Yes, renew it for one more year please", 1),
        ("We want to renew the service for another year", 1),
        ("please renew for two more years", 2),
        ("Renew all my devices please, for a year each.", 1),
        ("vi confermo il rinnovo biennale del servizio", 2),
        ("Rinnovo triennale impianto sud", 3),
        ("procediamo al rinnovo annuale, pagamento con bonifico", 1),
        ("procedete pure con il rinnovo annuale", 1),
        ("rinnovo per il prossimo biennio", 2),
        ("procediamo con il rinnovo per due annualità", 2),
        ("rinnovate per 12 mesi", 1),
        ("rinnovo di 24 mesi", 2),
        ("please renew for 12 months", 1),
        ("si richiede il rinnovo del servizio per n. 1 (uno) anno", 1),
        ("rinnovo per 2 (due) anni", 2),
    ],
)
def test_years_said_in_words_adjectives_and_months(text: str, years: int) -> None:
    result = extract_fields(text)
    assert result.fields == {"years": years}, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "The client wants the extension finished in 2 years at the latest.",
        "il lavoro va concluso entro 2 anni",
        "ci risentiamo tra due anni",
        "the warranty expires within 3 years",
        "how much would it cost for 3 years, and is there a discount?",
        "volevo sapere quanto costa il rinnovo per 3 anni con bonifico",
        "what is the price for two years?",
        "l'abbonamento annuale costa troppo",
        "once a year we check the cameras",
        "pagate 6 mesi fa",
        "rinnovo per 5 mesi",
    ],
)
def test_years_that_are_no_request(text: str) -> None:
    result = extract_fields(text)
    assert "years" not in result.fields, text
    assert result.invalid == [], text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("rinnovate per 15 anni", "15"),
        ("Please renew for 12 years", "12"),
        ("Anni: 0", "0"),
        ("rinnovo di 0 anni", "0"),
    ],
)
def test_an_invalid_number_of_years_is_reported_as_the_number_written(text: str, written: str) -> None:
    result = extract_fields(text)
    assert "years" not in result.fields
    assert [(bad.field, bad.value) for bad in result.invalid] == [("years", written)]


# -- payment references after "rif.", "reference", "transaction ID", with spaces ---------------


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("fatto il bonifico, rif. 0306912345678901", "0306912345678901"),
        ("bonifico eseguito, riferimento 0306912345678901.", "0306912345678901"),
        ("I paid by bank transfer (ref. 0306909685417314480160001200IT).", "0306909685417314480160001200IT"),
        ("Paid today, reference 0306998877665544.", "0306998877665544"),
        ("I have already sent the transfer (bank reference 27144093365).", "27144093365"),
        ("transfer sent this morning, CRO 1234 5678 901.", "12345678901"),
        ("bonifico fatto, CRO 1234 5678 901, grazie", "12345678901"),
        ("The bank reference (TRN) is BPPIITRRXXX 2602 1600 4471.", "BPPIITRRXXX260216004471"),
        ("Just paid through PayPal, transaction ID 5TY05013RG002845M.", "5TY05013RG002845M"),
        ("pagato con PayPal, ID transazione 5TY05013RG002845M", "5TY05013RG002845M"),
        ("CRO 12345678901 del 12/03/2026", "12345678901"),
    ],
)
def test_payment_references_after_everyday_labels(text: str, reference: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"payment_reference": reference}, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "Rif. prot. n. 12345/2024",
        "rif. vs. offerta n. 20260115",
        "rif. 20260312",
        "in riferimento alla vostra email del 12/03/2026",
        "with reference to invoice 2026/0142",
        "Our reference: 12345",
        "ref. pratica 1234567",
    ],
)
def test_an_everyday_reference_label_reports_no_invalid_value(text: str) -> None:
    result = extract_fields(text)
    assert "payment_reference" not in result.fields, text
    assert result.invalid == [], text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Your reference\tAmount\tValue date\tBank reference\n"
            "ORD-2026-000734\tEUR 146.40\t31/03/2026\tNWBKGB2L260331004471\n",
            {"order_number": "ORD-2026-000734", "payment_reference": "NWBKGB2L260331004471"},
        ),
        (
            "Beneficiario\tRiferimento\tImporto netto\tData valuta\tTRN\n"
            "Example Servizi S.r.l.\tORD-2026-000791\t€ 300,00\t12/02/2026\t0306901792650013481120002200IT\n",
            {"order_number": "ORD-2026-000791", "payment_reference": "0306901792650013481120002200IT"},
        ),
    ],
)
def test_a_payment_reference_in_a_remittance_table(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected
    assert result.invalid == []


# -- usernames without a label, or after an everyday word ------------------------------------------


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("vi chiedo di disattivare il rinnovo automatico sul servizio studio_pellegrini.", "studio_pellegrini"),
        ("revoco l'addebito su carta per il servizio\nofficina-rota. Il servizio resta attivo", "officina-rota"),
        ("Vorrei riattivarlo, l'utente è impianto-nord. Ditemi voi come pagare", "impianto-nord"),
        ("chiudete l'account casa_mare per favore", "casa_mare"),
        ("abbiamo dismesso l'impianto (utente magazzino2): vi diamo disdetta", "magazzino2"),
        ("Per l'accesso al portale usiamo l'utenza servizi.demografici", "servizi.demografici"),
        ("L'utenza sul portale è la stessa per entrambi: consorzio.piave", "consorzio.piave"),
        ("L'utenza di riferimento sul portale è imola.economato.", "imola.economato"),
        ('Per il portale usate pure l\'utenza "sestri.ced".', "sestri.ced"),
        ("per l’accesso usiamo “museo.sassuolo”", "museo.sassuolo"),
        ("l'account è unione.altalanga (vede tutti e tre gli impianti)", "unione.altalanga"),
        ("L'utente del portale è ufficiotecnico.cavour", "ufficiotecnico.cavour"),
        ("Utente -> pl.terredargine", "pl.terredargine"),
        ("utente trecate.illuminazione", "trecate.illuminazione"),
        ("user: lab-idraulica.unipv", "lab-idraulica.unipv"),
        ("user jesolo-ced", "jesolo-ced"),
        ("Utenza portale ... cervia.si", "cervia.si"),
        ("Il vostro portale ci riconosce come centraline.castellana.", "centraline.castellana"),
        ("rinnovate soltanto l'impianto della piscina (utenza ovada.piscina), con bonifico", "ovada.piscina"),
        ("Please disable the automatic renewal for the account b.conti.", "b.conti"),
        ("Please renew the account harbour-view only.", "harbour-view"),
        ("please don't renew the\n   garage-cam account when it runs out.", "garage-cam"),
        ("Please switch on automatic renewal for our account dr.ferri.", "dr.ferri"),
        ("We are registered as acme-admin on your portal.", "acme-admin"),
    ],
)
def test_a_username_after_an_everyday_word_when_it_looks_like_one(text: str, username: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"username": username}, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "il servizio e-mail non funziona",
        "il servizio di videosorveglianza dell'officina",
        "l'utente è scaduto",
        "the account is expired",
        "the user is happy with the service",
        "the e-mail account is full",
        "servizio ai sensi del d.lgs. 196/2003",
        "l'utente ha scritto all'indirizzo info@studio-rossi.it",
        "per l'accesso al portale usate il link https://portale.example.it/login",
        "the account holder is Mario Rossi",
        "Per l'impianto di via Roma, art.17 del contratto",
        "Il servizio follow-up è attivo",
    ],
)
def test_no_username_from_everyday_words(text: str) -> None:
    result = extract_fields(text)
    assert "username" not in result.fields, text
    assert result.invalid == [], text
