"""How Italian offices and customers really write the values we ask for (issue 11): the labels they
use, usernames, the signature that is not the answer, and invalid values that never vanish."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.htmltext import html_to_text
from mailbot.understand.reading import read_message, understand
from mailbot.understand.rules import RuleSet

CIG = "Z213346E34"
CUP = "J11B22000000001"
ENTITY_CF = "80012340586"


def mail(body: str, *, subject: str = "Re: Promemoria rinnovo") -> bytes:
    return (
        f"From: Ente <ragioneria@ente.example.it>\nTo: rinnovi@example.it\nSubject: {subject}\n"
        f"Message-ID: <f1@ente.example.it>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


# -- invalid values never vanish ------------------------------------------------------------------


def test_an_invalid_value_is_reported_whatever_the_intent(rules: RuleSet) -> None:
    u = understand(mail("Abbiamo effettuato il bonifico, CRO: 12345678901.\nCIG: Z213346E35\n"), rules)
    assert u.intent == "payment_notice"
    assert dict(u.fields) == {"payment_reference": "12345678901"}  # fields still follow the intent
    assert [(v.field, v.value) for v in u.invalid] == [("cig", "Z213346E35")]
    assert "invalid values: cig" in u.review_reasons


def test_an_invalid_value_is_reported_in_english_too(rules: RuleSet) -> None:
    u = understand(
        mail("We have made the bank transfer, TRN: 0306912345678901234567890IT.\nVAT no. 01057861006\n"), rules
    )
    assert u.intent == "payment_notice"
    assert [(v.field, v.value) for v in u.invalid] == [("vat_number", "01057861006")]


# -- labels people really use --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cod. univoco UFXK9T", {"office_code": "UFXK9T"}),
        ("cod.univoco uff. UFXK9T", {"office_code": "UFXK9T"}),
        ("Cod. Univoco Uff.: UFXK9T", {"office_code": "UFXK9T"}),
        ("cod. univ. ufficio UFXK9T", {"office_code": "UFXK9T"}),
        (f"C.I.G. n. {CIG}", {"cig": [CIG]}),
        (f"C.I.G. nr. {CIG}", {"cig": [CIG]}),
        (f"C.U.P. {CUP}", {"cup": [CUP]}),
        (f"cod. fisc. {ENTITY_CF}", {"fiscal_code": ENTITY_CF}),
        (f"C.F. {ENTITY_CF}", {"fiscal_code": ENTITY_CF}),
        (f"C.F.: {ENTITY_CF}", {"fiscal_code": ENTITY_CF}),
    ],
)
def test_abbreviated_and_dotted_labels(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected and result.invalid == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cig z213346e34", {"cig": [CIG]}),
        ("codice univoco ufficio ufxk9t", {"office_code": "UFXK9T"}),
        ("codice univoco ufficio: ufxkat", {"office_code": "UFXKAT"}),
        ("cod. univoco uff.: ufxkat", {"office_code": "UFXKAT"}),
        ("codice ipa: ufxkat", {"office_code": "UFXKAT"}),
        ("cuu: ufxkat", {"office_code": "UFXKAT"}),
        ("il codice univoco ufficio è ufxkat", {"office_code": "UFXKAT"}),
        ("unique office code: ufxkat", {"office_code": "UFXKAT"}),
        ("codice destinatario: krrhabz", {"recipient_code": "KRRHABZ"}),
    ],
)
def test_a_lowercase_value_after_a_lowercase_label(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected and result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "codice univoco ufficio: ufficio",
        "il codice univoco ufficio presso la ragioneria",
        "codice univoco ufficio: sempre quello",
        "Codice univoco ufficio: stesso dell'anno scorso",
        "the office code is: ufficio",
        "il codice ufficio lo trovate in fattura",
        "codice univoco ufficio: invariato",
    ],
)
def test_a_plain_word_is_never_an_office_code(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {} and result.invalid == [], text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Codice Univoco Ufficio (per la fatturazione elettronica): UFXK9T", {"office_code": "UFXK9T"}),
        ("Codice univoco ufficio (fatturazione elettronica) UFXK9T", {"office_code": "UFXK9T"}),
        (f"CIG (smart CIG): {CIG}", {"cig": [CIG]}),
        (f"CIG (smart CIG): {CIG.lower()}", {"cig": [CIG]}),
        (f"C.F. (ente): {ENTITY_CF}", {"fiscal_code": ENTITY_CF}),
        ("Username (portale): comunear", {"username": "comunear"}),
        ("Office code (for e-invoicing): UFXK9T", {"office_code": "UFXK9T"}),
    ],
)
def test_a_label_with_a_note_in_brackets(text: str, expected: dict[str, object]) -> None:
    result = extract_fields(text)
    assert result.fields == expected and result.invalid == []


@pytest.mark.parametrize(
    "text",
    [
        "Codice IPA: UFXK9T",
        "codice ufficio di fatturazione: UFXK9T",
        "Codice univoco di fatturazione: UFXK9T",
        "Codice univoco ufficio di fatturazione UFXK9T",
        "codice univoco per la fatturazione elettronica: UFXK9T",
        "CUU: UFXK9T",
        "C.U.U. UFXK9T",
        "Codice destinatario: UFXK9T",
        "codice destinatario SDI: UFXK9T",
        "Office code for electronic invoicing: UFXK9T",
    ],
)
def test_the_office_code_by_its_other_names(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"office_code": "UFXK9T"} and result.invalid == []


def test_codice_destinatario_is_a_recipient_code_with_seven_characters() -> None:
    assert extract_fields("Codice destinatario: M5UXCR1").fields == {"recipient_code": "M5UXCR1"}


@pytest.mark.parametrize(
    "html",
    [
        "<table><tr><td>Codice univoco ufficio</td><td>UFXK9T</td></tr></table>",
        "<table><tr><td><b>Codice univoco ufficio:</b></td><td><p>UFXK9T</p></td></tr></table>",
        "<table><tr><th>Codice Univoco Ufficio (fatturazione elettronica)</th><td>UFXK9T</td></tr></table>",
        "<table><tr><td>CUU</td><td>&nbsp;</td><td>ufxk9t</td></tr></table>",
        "<table><tr><td>Codice univoco ufficio</td></tr><tr><td>UFXK9T</td></tr></table>",
    ],
)
def test_a_label_and_its_value_in_two_cells_of_an_html_table(html: str) -> None:
    result = extract_fields(html_to_text(html))
    assert result.fields == {"office_code": "UFXK9T"} and result.invalid == []


def test_a_whole_html_table_of_billing_details() -> None:
    html = (
        "<table><tr><td>CIG</td><td>" + CIG + "</td></tr><tr><td>Codice univoco ufficio</td><td>UFXK9T</td></tr>"
        "<tr><td>Nome utente portale</td><td>comunear</td></tr><tr><td>C.F. dell'Ente</td><td>"
        + ENTITY_CF
        + "</td></tr></table>"
    )
    result = extract_fields(html_to_text(html))
    assert result.fields == {"cig": [CIG], "office_code": "UFXK9T", "username": "comunear", "fiscal_code": ENTITY_CF}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Codice univoco ufficio\nUFXK9T", {"office_code": "UFXK9T"}),
        ("Codice univoco ufficio:\n\nUFXK9T", {"office_code": "UFXK9T"}),
        (f"CIG:\n{CIG}", {"cig": [CIG]}),
        ("Username:\ncomunear", {"username": "comunear"}),
        (f"Codice fiscale dell'ente\n{ENTITY_CF}", {"fiscal_code": ENTITY_CF}),
        ("Office code:\nUFXK9T", {"office_code": "UFXK9T"}),
    ],
)
def test_a_value_on_the_line_after_its_label(text: str, expected: dict[str, object]) -> None:
    assert extract_fields(text).fields == expected


@pytest.mark.parametrize(
    "text",
    [
        f"C.F. dell'Ente: {ENTITY_CF}",
        f"C.F. dell’ente {ENTITY_CF}",
        f"codice fiscale dell'amministrazione {ENTITY_CF}",
        f"cod. fisc. ente {ENTITY_CF}",
        f"Codice fiscale del Comune: {ENTITY_CF}",
        f"Codice fiscale del comune di Esempio: {ENTITY_CF}",
        f"Fiscal code of the entity: {ENTITY_CF}",
    ],
)
def test_an_entity_fiscal_code_with_the_usual_abbreviations(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"fiscal_code": ENTITY_CF} and result.invalid == []


def test_a_code_given_only_in_the_subject(rules: RuleSet) -> None:
    u = understand(mail("Buongiorno, vi mando il codice richiesto in oggetto.", subject=f"R: CIG {CIG}"), rules)
    assert u.intent == "pa_billing_details" and dict(u.fields) == {"cig": [CIG]}
    en = understand(mail("Please see the subject.", subject="Re: Fwd: office code UFXK9T"), rules)
    assert dict(en.fields) == {"office_code": "UFXK9T"}


def test_the_subject_is_read_after_the_body(rules: RuleSet) -> None:
    raw = mail("Codice univoco ufficio: UFXK9T\nCIG 8814006BD6", subject=f"Re: CIG {CIG} codice univoco UF5ZXA")
    reading = read_message(raw)
    assert reading.fields == {"office_code": "UFXK9T", "cig": ["8814006BD6", CIG]}


@pytest.mark.parametrize("subject", ["Re: R: I: Fwd: FW: RIF: AW: Rinnovo", "R: utente", "Re: Username RE: x", "Fwd:"])
def test_reply_words_of_the_subject_are_never_values(subject: str) -> None:
    assert read_message(mail("Grazie", subject=subject)).fields == {}


# -- usernames: the value follows the whole label -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Username portale: comunear",
        "Username utilizzato per l'accesso al portale: comunear",
        "Username utilizzato per l’accesso al portale comunear",
        "utente portale: comunear",
        "Utente del portale: comunear",
        "username del portale: comunear",
        "Username del portale comunear",
        "account portale: comunear",
        "Account del portale: comunear",
        "login portale: comunear",
        "Nome utente portale: comunear",
        "Nome utente per accedere al portale: comunear",
        "il nostro username è comunear",
        "il nostro username è: comunear",
        "Il nome utente è comunear.",
        "our username is comunear",
        "Our portal username is comunear.",
        "Username used to log in to the portal: comunear",
        "Username for the portal: comunear",
        "Portal username: comunear",
        "Username portale:\ncomunear",
        "Username: ComuneAR",
    ],
)
def test_username_is_what_follows_the_whole_label(text: str) -> None:
    assert extract_fields(text).fields == {"username": "comunear"}


def test_username_in_a_table_row_of_an_html_body() -> None:
    html = "<table><tr><td><p>Nome utente portale</p></td><td><p>comunear</p></td></tr></table>"
    assert extract_fields(html_to_text(html)).fields == {"username": "comunear"}
    assert extract_fields("| Nome utente portale | comunear |").fields == {"username": "comunear"}
    columns = f"CIG\tUsername portale\n{CIG}\tcomunear\n"
    assert extract_fields(columns).fields == {"cig": [CIG], "username": "comunear"}


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("username: x.y", "x.y"),
        ("Username: Mario.Rossi-2_b", "mario.rossi-2_b"),
        ("Nome utente: comune_esempio99", "comune_esempio99"),
        ("Username: comune-esempio.", "comune-esempio"),
    ],
)
def test_username_keeps_dots_dashes_underscores_and_digits_lowercased(text: str, username: str) -> None:
    assert extract_fields(text).fields == {"username": username}


@pytest.mark.parametrize(
    "text",
    [
        "Username: utilizzato",
        "Username portale",
        "Lo username del portale non lo ricordo",
        "Lo username per il rinnovo non lo conosco",
        "lo username della scuola è cambiato",
        "Username: is",
        "Our username is the same as last year",
        "Username: per favore ricordatemelo",
        "Username della segreteria? Non lo so",
    ],
)
def test_a_common_word_after_a_username_label_is_never_the_value(text: str) -> None:
    result = extract_fields(text)
    assert "username" not in result.fields, text
    assert result.invalid == []


# -- the signature is not the answer --------------------------------------------------------------

VAT = "01057861005"
PEC = "ragioneria@pec.comune.esempio.it"
SIGNATURE_IT = (
    "Cordiali saluti\nDott. Mario Rossi\nUfficio Ragioneria - Comune di Esempio\nVia Roma 1, 00100 Roma (RM)\n"
    f"Tel. 06 1234567 - Fax 06 1234568\nPEC: {PEC}\nC.F. {ENTITY_CF} - P.IVA {VAT}\n"
    "Codice univoco ufficio: UF5ZXA\nIBAN: IT60X0542811101000000123456\n"
)
IN_SIGNATURE = {
    "pec": PEC,
    "fiscal_code": ENTITY_CF,
    "vat_number": VAT,
    "office_code": "UF5ZXA",
    "iban": "IT60X0542811101000000123456",
}


def test_values_in_the_signature_are_kept_apart() -> None:
    text = f"Buongiorno,\nvi comunichiamo il CIG {CIG} e il nome utente: comunear.\n\n" + SIGNATURE_IT
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG], "username": "comunear"}
    assert result.signature == IN_SIGNATURE
    assert result.invalid == []


@pytest.mark.parametrize(
    "sign_off",
    [
        "Distinti saluti",
        "Saluti",
        "Cordiali saluti,",
        "Grazie, cordiali saluti",
        "In attesa di riscontro, porgo cordiali saluti.",
        "Un cordiale saluto",
        "Best regards",
        "Kind regards,",
        "Regards",
        "Thanks and best regards,",
        "--",
    ],
)
def test_every_usual_sign_off_starts_the_signature(sign_off: str) -> None:
    text = f"Hello, our CIG is {CIG}.\n{sign_off}\nJohn Smith\nAccounts Department\nPEC: {PEC}\nVAT no. IT{VAT}\n"
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG]}, sign_off
    assert result.signature == {"pec": PEC, "vat_number": VAT}, sign_off


def test_a_signature_without_a_sign_off_is_known_by_its_lines() -> None:
    text = (
        f"Vi trasmettiamo il CIG {CIG} per il rinnovo.\nMario Rossi\nUfficio Ragioneria\nComune di Esempio\n"
        f"Tel. 06 1234567\nC.F. {ENTITY_CF}\nPEC {PEC}\nProt. n. 12345/2024\n"
    )
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG]}
    assert result.signature == {"fiscal_code": ENTITY_CF, "pec": PEC}


def test_values_just_before_the_sign_off_are_the_answer() -> None:
    text = (
        f"Buongiorno,\necco i dati:\nCIG: {CIG}\nCodice univoco ufficio: UFXK9T\nUsername: comunear\n"
        f"C.F. dell'Ente: {ENTITY_CF}\n\n" + SIGNATURE_IT
    )
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG], "office_code": "UFXK9T", "username": "comunear", "fiscal_code": ENTITY_CF}
    assert result.signature["office_code"] == "UF5ZXA"


def test_values_just_before_a_signature_without_sign_off_are_the_answer() -> None:
    text = (
        f"Vi inviamo quanto richiesto.\nCIG: {CIG}\nCodice univoco ufficio: UFXK9T\nMario Rossi\n"
        "Ufficio Ragioneria\nTel. 06 1234567\n"
    )
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG], "office_code": "UFXK9T"}


@pytest.mark.parametrize(
    "text",
    [
        f"C.F. {ENTITY_CF}\nP.IVA {VAT}\nPEC: {PEC}\nCodice univoco ufficio: UFXK9T\n",
        f"Buongiorno,\nC.F. {ENTITY_CF}\nP.IVA {VAT}\nPEC: {PEC}\nCodice univoco ufficio: UFXK9T\nDistinti saluti\n",
        f"Comune di Esempio\nC.F. {ENTITY_CF}\nP.IVA {VAT}\nPEC: {PEC}\nCodice univoco ufficio: UFXK9T\n"
        "Tel. 06 1234567",
        f"Buongiorno\nCordiali saluti\nComune di Esempio\nC.F. {ENTITY_CF}\nP.IVA {VAT}\nPEC: {PEC}\n"
        "Codice univoco ufficio: UFXK9T\n",
    ],
)
def test_a_reply_whose_only_content_is_a_label_block_is_the_answer(text: str) -> None:
    result = extract_fields(text, signature=True)
    assert result.fields == {"fiscal_code": ENTITY_CF, "vat_number": VAT, "pec": PEC, "office_code": "UFXK9T"}
    assert result.signature == {}


@pytest.mark.parametrize(
    "text",
    [
        "Vi chiediamo di aggiornare i dati di fatturazione come segue:\nComune di Esempio\nVia Roma 1, 00100 Roma\n"
        f"C.F. {ENTITY_CF}\nPEC: {PEC}\n",
        "Vi preghiamo di aggiornare l'intestazione delle fatture.\nComune di Esempio\nVia Roma 1, 00100 Roma\n"
        f"C.F. {ENTITY_CF}\nPEC: {PEC}\n",
        "I dati per la fatturazione sono in calce.\nCordiali saluti\nComune di Esempio\nVia Roma 1, 00100 Roma\n"
        f"C.F. {ENTITY_CF}\nPEC: {PEC}\n",
        "Please update our billing details, you find them below.\nBest regards\nComune di Esempio\n"
        f"Via Roma 1, 00100 Roma\nC.F. {ENTITY_CF}\nPEC: {PEC}\n",
    ],
)
def test_details_announced_by_the_message_are_the_answer_even_below_it(text: str) -> None:
    result = extract_fields(text, signature=True)
    assert result.fields == {"fiscal_code": ENTITY_CF, "pec": PEC}
    assert result.signature == {}


def test_a_postscript_after_the_signature_is_the_answer_again() -> None:
    text = f"Confermiamo il rinnovo.\nCordiali saluti\nMario Rossi\nC.F. {ENTITY_CF}\n\nP.S. il CUU è UFXK9T\n"
    result = extract_fields(text, signature=True)
    assert result.fields == {"office_code": "UFXK9T"} and result.signature == {"fiscal_code": ENTITY_CF}


def test_request_values_after_the_sign_off_stay_the_answer() -> None:
    text = f"Vi mando i codici.\nSaluti\nMario Rossi\nCIG {CIG}\nRif. ordine ORD-2024-000123\nCRO 12345678901\n"
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG], "order_number": "ORD-2024-000123", "payment_reference": "12345678901"}


def test_an_invalid_value_in_the_signature_is_not_an_invalid_answer() -> None:
    text = f"Il CIG è {CIG}.\nCordiali saluti\nComune di Esempio\nC.F. 80012340587\n"
    result = extract_fields(text, signature=True)
    assert result.fields == {"cig": [CIG]} and result.invalid == [] and result.signature == {}


def test_the_reading_keeps_the_signature_apart(rules: RuleSet) -> None:
    body = f"Buongiorno,\nil CIG è {CIG} e il codice univoco ufficio UFXK9T.\n\n" + SIGNATURE_IT
    u = understand(mail(body), rules)
    assert u.intent == "pa_billing_details"
    assert dict(u.fields) == {"cig": [CIG], "office_code": "UFXK9T"}
    assert u.reading.fields == {"cig": [CIG], "office_code": "UFXK9T"}
    assert u.reading.signature == IN_SIGNATURE
    assert u.invalid == () and not any(reason.startswith("invalid") for reason in u.review_reasons)


def test_the_reading_keeps_a_dash_signature_apart_too() -> None:
    body = f"Please renew for 2 years.\n-- \nJohn Smith, ACME Srl\nVAT no. IT{VAT}\nPEC: {PEC}\n"
    reading = read_message(mail(body))
    assert reading.fields == {"years": 2}
    assert reading.signature == {"vat_number": VAT, "pec": PEC}


def test_a_billing_update_in_english_is_not_a_signature(rules: RuleSet) -> None:
    body = f"Hello,\nplease update our billing details:\nVAT number: IT{VAT}\nPEC: {PEC}\n\nKind regards\nJohn Smith\n"
    u = understand(mail(body), rules)
    assert u.intent == "billing_update" and dict(u.fields) == {"vat_number": VAT, "pec": PEC}
