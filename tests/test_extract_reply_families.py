"""Families of values the replies of ``tests/replies`` showed misread (people who never saw the
extractor): years said in words, adjectives and months; payment references after "rif."/"reference";
usernames without a label; codes said a few words after their label; invalid values reported as
written. Each family in Italian and English, and the look-alikes that must stay out."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.reading import read_message, understand
from mailbot.understand.rules import RuleSet

CIG = "Z213346E34"

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


# -- a code, a PEC, a VAT number said a few words after its label -----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Il cod. univoco ufficio per l'invio della fattura elettronica è 3OGZ5K.", {"office_code": "3OGZ5K"}),
        ("Codice univoco ufficio destinatario fattura\nMTT7NS", {"office_code": "MTT7NS"}),
        ("Codice univoco ufficio unico per entrambe: HOGFQR.", {"office_code": "HOGFQR"}),
        ("per il codice univoco vi confermo 158Z6T come gli altri anni", {"office_code": "158Z6T"}),
        ("Il codice univoco ufficio è lo stesso per tutte e tre: TJ0WYU.", {"office_code": "TJ0WYU"}),
        (
            "il codice univoco ufficio che vi abbiamo comunicato è quello del settore sbagliato.\n"
            "Per la fattura del rinnovo il codice corretto è B0TDBM (Settore Lavori Pubblici).",
            {"office_code": "B0TDBM"},
        ),
        ("The office code we gave you was wrong, the right one is UF5ZX1.", {"office_code": "UF5ZX1"}),
        ("non abbiamo un codice destinatario, mettete pure 0000000", {"recipient_code": "0000000"}),
        ("avevate il vecchio codice destinatario.\nIl codice giusto è W7YX2HF.", {"recipient_code": "W7YX2HF"}),
        ("il codice destinatario non è più quello di Aruba: usate M5UXCR1.", {"recipient_code": "M5UXCR1"}),
        ("our recipient code changed, please use M5UXCR1 from now on", {"recipient_code": "M5UXCR1"}),
    ],
)
def test_a_code_a_few_words_after_its_label(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected, text
    assert result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "il codice univoco ufficio non è cambiato, chiamate il 0612345678",
        "Il codice univoco ufficio lo trovate su IPA, GRAZIE.",
        "codice destinatario: non ce l'abbiamo, usate la PEC",
        "il codice univoco ufficio non lo so.\n\nUFXK9T è il vecchio",
        "the recipient code is on the invoice from 2024",
    ],
)
def test_no_code_from_the_words_after_a_label(text: str) -> None:
    result = extract_fields(text)
    assert not {"office_code", "recipient_code"} & set(result.fields), text
    assert result.invalid == [], text


@pytest.mark.parametrize(
    ("text", "pec"),
    [
        ("vi comunico la nuova PEC dello studio a cui inviare le fatture: StudioMarino@PEC.example.it", None),
        (
            "abbiamo cambiato indirizzo PEC.\nPer la fatturazione vi preghiamo di usare il nuovo indirizzo:\n"
            "StudioMarchettiRinaldi@PEC.it\nIl vecchio (marchettirinaldi@legalmail.it) non è più attivo.",
            "studiomarchettirinaldi@pec.it",
        ),
        ("la PEC è cambiata: ora è colombotermotecnica@legalmail.it", "colombotermotecnica@legalmail.it"),
        ("our certified e-mail has changed, the new one is acme@pec.acme.it", "acme@pec.acme.it"),
    ],
)
def test_a_pec_a_few_words_after_its_label(text: str, pec: str | None) -> None:
    result = extract_fields(text)
    assert result.fields == {"pec": pec or "studiomarino@pec.example.it"}, text
    assert result.invalid == []


def test_a_plain_address_after_the_pec_label_is_no_pec() -> None:
    result = extract_fields("la PEC non è cambiata. Per informazioni scrivete a info@studio.it")
    assert result.fields == {} and result.invalid == []


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("nella fattura c'è la partita IVA sbagliata, quella giusta è 66240390843.", "vat_number", "66240390843"),
        ("the VAT number on the invoice is wrong, the right one is 66240390843", "vat_number", "66240390843"),
        ("Please issue the invoice with VAT number IT 54330120205", "vat_number", "54330120205"),
        ("il codice fiscale dell'ente è cambiato, quello nuovo è 80012340587", "fiscal_code", "80012340587"),
    ],
)
def test_a_vat_number_or_fiscal_code_a_few_words_after_its_label_is_checked(text: str, field: str, value: str) -> None:
    result = extract_fields(text)
    assert result.fields == {}
    assert [(bad.field, bad.value) for bad in result.invalid] == [(field, value)]


# -- a personal fiscal code is known by its shape ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("could you use my fiscal code on the invoice? It's FRRSRA90E41A944C.", True),
        ("In fattura per favore mettete il mio codice fiscale,\nMRNFNC77B12G273H, che mancava.", True),
        ("my accountant says the invoice should carry my codice fiscale. It is VRDGPP72C15L219A.", False),
        ("il codice fiscale della dottoressa è sbagliato.\nQuello corretto è: BNCLGU75C12F205R", False),
        ("intestate la fattura a Mario Rossi, RSSMRA80A01H501U", True),
    ],
)
def test_a_personal_fiscal_code_without_its_label(text: str, valid: bool) -> None:
    result = extract_fields(text)
    code = next(word for word in text.replace(",", " ").replace(".", " ").split() if len(word) == 16)
    if valid:
        assert result.fields == {"fiscal_code": code} and result.invalid == []
    else:
        assert result.fields == {} and [(bad.field, bad.value) for bad in result.invalid] == [("fiscal_code", code)]


# -- a forward without a marker line (Outlook's "I:" with a Da:/Inviato:/A:/Oggetto: block) -------

OWN = frozenset({"rinnovi@example.it"})


def forward(body: str, subject: str) -> bytes:
    return (
        f"From: Ufficio <ufficio@ente.example.it>\nTo: rinnovi@example.it\nSubject: {subject}\n"
        f"Message-ID: <fw1@ente.example.it>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        (
            "Vedi sotto.\nCarla\n\nDa: Economato <economato@ente.example.it>\nInviato: giovedì 22 gennaio 2026\n"
            "A: Carla <carla@ente.example.it>\nOggetto: R: codici\n\nCiao Carla,\nCIG Z213346E34\n"
            "Codice univoco ufficio: UFXK9T\n",
            "I: R: codici per il fornitore",
        ),
        (
            "See below.\nJohn\n\nFrom: Procurement <procurement@ente.example.it>\nSent: Thursday, 22 January 2026\n"
            "To: John <john@ente.example.it>\nSubject: RE: codes\n\nHi John,\nCIG Z213346E34\n"
            "Office code: UFXK9T\n",
            "FW: RE: codes for the supplier",
        ),
    ],
)
def test_an_outlook_forward_of_a_colleague_is_read(body: str, subject: str) -> None:
    reading = read_message(forward(body, subject), own_addresses=OWN)
    assert reading.fields == {"cig": ["Z213346E34"], "office_code": "UFXK9T"}


def test_an_outlook_forward_is_read_down_to_our_own_message_only() -> None:
    body = (
        "Vedi sotto.\n\nDa: Economato <economato@ente.example.it>\nInviato: giovedì 22 gennaio 2026\n"
        "A: Carla <carla@ente.example.it>\nOggetto: R: codici\n\nCIG Z213346E34\n\n"
        "Da: Rinnovi <rinnovi@example.it>\nInviato: mercoledì 21 gennaio 2026\nA: Carla <carla@ente.example.it>\n"
        "Oggetto: codici\n\nPagate con bonifico su IT60X0542811101000000123456, ordine ORD-2026-000123.\n"
    )
    reading = read_message(forward(body, "I: codici"), own_addresses=OWN)
    assert reading.fields == {"cig": ["Z213346E34"]}


def test_a_reply_quoting_a_colleague_is_not_read() -> None:
    body = (
        "Grazie, procediamo.\n\nDa: Economato <economato@ente.example.it>\nInviato: giovedì 22 gennaio 2026\n"
        "A: Carla <carla@ente.example.it>\nOggetto: codici\n\nCIG Z213346E34\n"
    )
    assert read_message(forward(body, "R: codici"), own_addresses=OWN).fields == {}


def test_an_office_code_line_in_english_is_no_signature_line() -> None:
    text = f"Hi John,\nCIG {CIG}\nOffice code: UFXK9T\n"
    assert extract_fields(text, signature=True).fields == {"cig": [CIG], "office_code": "UFXK9T"}


# -- a value of the signature the message points at -----------------------------------------------

SIGNATURE = (
    "Cordiali saluti\nServizio Provveditorato\nLargo Cattanei 3 - 16147 Genova\nC.F. 80007350103 - P.IVA 00949170104\n"
    "Codice Univoco Ufficio per la fatturazione elettronica: PGOJJ7\n"
)


@pytest.mark.parametrize(
    "said",
    [
        f"per la fattura usate il CIG {CIG} e il codice univoco ufficio riportato in calce.",
        f"CIG {CIG}; for the office code please see below.",
    ],
)
def test_a_value_of_the_signature_the_message_points_at_is_the_answer(said: str) -> None:
    result = extract_fields(f"Buongiorno,\n{said}\n" + SIGNATURE, signature=True)
    assert result.fields == {"cig": [CIG], "office_code": "PGOJJ7"}
    assert result.signature == {"fiscal_code": "80007350103", "vat_number": "00949170104"}


# -- what a forwarded colleague asks is asked: the rules read it after the new text -----------------


@pytest.mark.parametrize(
    ("body", "subject", "intent"),
    [
        (
            "Vedi sotto, ci pensate voi?\nCarla\n\nDa: Sindaco <sindaco@ente.example.it>\n"
            "Inviato: giovedì 22 gennaio 2026\nA: Carla <carla@ente.example.it>\nOggetto: portale\n\n"
            "Carla, il portale va rinnovato per un anno.\n",
            "I: portale",
            "renewal_request",
        ),
        (
            "See below from my boss.\nAnna\n\nFrom: James <james@firm.example.com>\n"
            "Sent: Saturday, 18 April 2026\nTo: Anna <anna@firm.example.com>\nSubject: cameras\n\n"
            "Anna, please cancel the subscription of the pool camera.\n",
            "FW: cameras",
            "cancellation",
        ),
    ],
)
def test_a_forwarded_request_is_asked(body: str, subject: str, intent: str, rules: RuleSet) -> None:
    understanding = understand(forward(body, subject), rules, own_addresses=OWN)
    assert [str(i) for i in understanding.intents] == [intent]


def test_our_own_forwarded_email_asks_nothing(rules: RuleSet) -> None:
    body = (
        "Vedi sotto.\n\nDa: Rinnovi <rinnovi@example.it>\nInviato: mercoledì 21 gennaio 2026\n"
        "A: Carla <carla@ente.example.it>\nOggetto: scadenza\n\nPer rinnovare per 2 anni paghi con bonifico.\n"
    )
    understanding = understand(forward(body, "I: scadenza"), rules, own_addresses=OWN)
    assert [str(i) for i in understanding.intents] == ["other"]


# -- the Subject as the request: a new message's own words, or a body that points to it -------------


def message(subject: str, body: str) -> bytes:
    return (
        f"From: Cliente <cliente@example.org>\nTo: rinnovi@example.it\nSubject: {subject}\n"
        f"Message-ID: <s1@example.org>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


@pytest.mark.parametrize(
    ("subject", "body", "intent"),
    [
        ("Disattivare il rinnovo automatico", "Vedi oggetto, grazie.\nLuca", "autorenew_off"),
        ("Vorrei rinnovare per due anni", "", "renewal_request"),
        ("Please switch off the auto renewal", "As per subject.\nTom", "autorenew_off"),
        ("Re: Promemoria scadenza - disdetta", "Come da oggetto.", "cancellation"),
    ],
)
def test_the_subject_asks_when_it_is_the_sender_s(subject: str, body: str, intent: str, rules: RuleSet) -> None:
    understanding = understand(message(subject, body), rules, own_addresses=OWN)
    assert [str(i) for i in understanding.intents] == [intent]


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Re: Rinnovo automatico tra 10 giorni: disattivalo dal portale", "Grazie, tutto chiaro."),
        ("I: Il servizio scade: rinnovalo ora", "Per conoscenza."),
    ],
)
def test_our_own_subject_asks_nothing(subject: str, body: str, rules: RuleSet) -> None:
    assert [str(i) for i in understand(message(subject, body), rules, own_addresses=OWN).intents] == ["other"]
