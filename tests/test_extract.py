"""Field extraction from free text: label variants, tables, Italian and English, and the traps."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import InvalidValue, extract_fields

CIG_SMART = "Z213346E34"
CIG_ORDINARY = "8814006BD6"
CIG_2024 = "B0E1AD1F10"
CUP = "J11B22000000001"
VAT = "01057861005"  # partita IVA of an administration
ENTITY_CF = "02438750586"  # its fiscal code (11 digits)
PERSON_CF = "RSSMRA85T10A562S"
IBAN = "IT60X0542811101000000123456"
IBAN_SPACED = "IT60 X054 2811 1010 0000 0123 456"


@pytest.mark.parametrize(
    "text",
    [
        f"CIG: {CIG_SMART}",
        f"C.I.G. n. {CIG_SMART.lower()}",
        f"codice CIG {CIG_SMART}",
        f"cod. CIG: {CIG_SMART}",
        f"Codice identificativo di gara: {CIG_SMART}",
        f"Il CIG è il seguente: {CIG_SMART}.",
        f"the CIG is {CIG_SMART}",
        f"CIG\t\t{CIG_SMART}",
        f"CIG\n{CIG_SMART}",
        f"| CIG | {CIG_SMART} |",
        f"CIG = {CIG_SMART}",
    ],
)
def test_cig_label_variants(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"cig": [CIG_SMART]}
    assert result.invalid == []


@pytest.mark.parametrize("cig", [CIG_SMART, CIG_ORDINARY, CIG_2024])
def test_every_cig_family_is_extracted(cig: str) -> None:
    assert extract_fields(f"CIG {cig}").fields["cig"] == [cig]


def test_several_cigs_in_order_without_duplicates() -> None:
    text = f"CIG: {CIG_ORDINARY}, {CIG_SMART} e {CIG_2024}. Ripeto il CIG {CIG_ORDINARY}"
    assert extract_fields(text).fields["cig"] == [CIG_ORDINARY, CIG_SMART, CIG_2024]


def test_wrong_cig_checksum_is_reported_not_stored() -> None:
    result = extract_fields("CIG: Z213346E35")
    assert "cig" not in result.fields
    assert result.invalid == [InvalidValue("cig", "Z213346E35", "CIG checksum does not match")]


def test_wrong_cig_in_a_list_is_reported() -> None:
    result = extract_fields(f"CIG: {CIG_SMART}, 8814006BD7")
    assert result.fields["cig"] == [CIG_SMART]
    assert [bad.value for bad in result.invalid] == ["8814006BD7"]


def test_unlabelled_cig_only_when_the_checksum_matches() -> None:
    result = extract_fields(f"Vi mando {CIG_SMART} come richiesto, ma non Z213346E35 né 8814006BD7")
    assert result.fields == {"cig": [CIG_SMART]}
    assert result.invalid == []


def test_phone_numbers_are_not_cigs() -> None:
    assert extract_fields("Tel. 0612345678 - fax 0612345679, cell. 3331234567").fields == {}


def test_cig_and_cup_together_and_combined_label() -> None:
    expected = {"cig": [CIG_SMART], "cup": [CUP]}
    assert extract_fields(f"CIG {CIG_SMART} CUP {CUP}").fields == expected
    assert extract_fields(f"C.U.P.: {CUP.lower()}\nCIG: {CIG_SMART}").fields == {"cup": [CUP], "cig": [CIG_SMART]}
    result = extract_fields(f"CIG/CUP: {CIG_SMART} / {CUP}")
    assert result.fields == expected and result.invalid == []


def test_wrong_cup_is_reported() -> None:
    result = extract_fields("CUP: J11B2200000000")
    assert result.invalid == [InvalidValue("cup", "J11B2200000000", "CUP must be 15 characters")]


@pytest.mark.parametrize(
    "text",
    [
        "cod. univoco H2J28R",
        "codice univoco ufficio: H2J28R",
        "Codice Univoco Ufficio H2J28R",
        "codice univoco dell'ufficio: H2J28R",
        "Codice IPA: H2J28R",
        "codice ufficio H2J28R",
        "CUU: h2j28r",
        "Codice destinatario: H2J28R",  # the SdI field holds the office code for administrations
        "Unique office code: H2J28R",
        "Codice univoco\tH2J28R",
    ],
)
def test_office_code_label_variants(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"office_code": "H2J28R"}
    assert result.invalid == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("codice destinatario 0000000", "0000000"),
        ("Codice SDI: KRRH6B9", "KRRH6B9"),
        ("codice univoco: XXXXXXX", "XXXXXXX"),
        ("Recipient code: KRRH6B9", "KRRH6B9"),
    ],
)
def test_recipient_code(text: str, code: str) -> None:
    assert extract_fields(text).fields == {"recipient_code": code}


def test_office_label_with_a_seven_character_code_is_invalid() -> None:
    result = extract_fields("codice univoco ufficio: KRRH6B9")
    assert "office_code" not in result.fields and "recipient_code" not in result.fields
    assert [(bad.field, bad.value) for bad in result.invalid] == [("office_code", "KRRH6B9")]


def test_a_six_character_word_after_codice_is_not_an_office_code() -> None:
    for text in ("il codice ABC123 del prodotto", "codice sconto PROMO1", "Codice: UF5ZXA"):
        assert extract_fields(text).fields == {}, text


def test_office_code_label_followed_by_prose_takes_nothing() -> None:
    result = extract_fields("Il codice univoco ufficio lo trovate sotto la firma")
    assert result.fields == {} and result.invalid == []


@pytest.mark.parametrize(
    "text",
    [f"P.IVA {VAT}", f"P. IVA: IT{VAT}", f"partita iva IT {VAT}", f"Partita IVA n. {VAT}", f"VAT number: IT{VAT}"],
)
def test_vat_number_label_variants(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {"vat_number": VAT}
    assert result.invalid == []


def test_vat_number_is_not_a_cro_and_cro_is_not_a_vat_number() -> None:
    assert extract_fields(f"P.IVA {VAT}").fields == {"vat_number": VAT}
    assert extract_fields("CRO 12345678901").fields == {"payment_reference": "12345678901"}


def test_vat_rate_is_not_a_vat_number() -> None:
    result = extract_fields("importo più VAT 22% e IVA 22%")
    assert result.fields == {} and result.invalid == []


def test_wrong_vat_number_is_reported() -> None:
    result = extract_fields("P.IVA 01057861006")
    assert result.invalid == [InvalidValue("vat_number", "01057861006", "VAT number check digit does not match")]


@pytest.mark.parametrize("text", [f"C.F. {ENTITY_CF}", f"Codice fiscale: {ENTITY_CF}", f"Fiscal code {ENTITY_CF}"])
def test_office_fiscal_code_in_a_signature_is_a_fiscal_code(text: str) -> None:
    result = extract_fields(f"Cordiali saluti\nComune di Esempio\n{text}\nVia Roma 1")
    assert result.fields == {"fiscal_code": ENTITY_CF}


def test_signature_with_both_codes() -> None:
    result = extract_fields(f"C.F. {ENTITY_CF} - P.IVA {VAT}")
    assert result.fields == {"fiscal_code": ENTITY_CF, "vat_number": VAT}


def test_combined_label_fills_both() -> None:
    for text in (f"C.F./P.IVA {VAT}", f"P.IVA e C.F.: {VAT}"):
        assert extract_fields(text).fields == {"fiscal_code": VAT, "vat_number": VAT}, text


def test_personal_fiscal_code() -> None:
    assert extract_fields(f"codice fiscale {PERSON_CF.lower()}").fields == {"fiscal_code": PERSON_CF}
    result = extract_fields("C.F.: RSSMRA85T10A562X")
    assert [bad.reason for bad in result.invalid] == ["fiscal code check digit does not match"]


@pytest.mark.parametrize(
    "text",
    [
        "PEC: protocollo@pec.comune.esempio.it",
        "indirizzo PEC protocollo@pec.comune.esempio.it.",
        "Posta elettronica certificata: <protocollo@pec.comune.esempio.it>",
        "Certified email: protocollo@PEC.comune.esempio.it",
    ],
)
def test_pec(text: str) -> None:
    assert extract_fields(text).fields == {"pec": "protocollo@pec.comune.esempio.it"}


def test_wrong_pec_is_reported() -> None:
    result = extract_fields("PEC: protocollo@pec")
    assert result.invalid == [InvalidValue("pec", "protocollo@pec", "PEC is not a valid email address")]


@pytest.mark.parametrize(
    "text",
    [
        "username: m.rossi",
        "Username m.rossi",
        "nome utente: m.rossi",
        "Utente: m.rossi",
        "login: m.rossi",
        "Account: m.rossi",
        "User name = m.rossi",
        "Nome utente\tm.rossi",
    ],
)
def test_username_label_variants(text: str) -> None:
    assert extract_fields(text).fields == {"username": "m.rossi"}


def test_common_words_need_a_separator_to_be_username_labels() -> None:
    text = "L'utente ha chiesto il rinnovo; il login non funziona e l'account è scaduto"
    assert extract_fields(text).fields == {}


def test_bank_account_is_not_a_username() -> None:
    assert extract_fields(f"Bank account: {IBAN}").fields == {"iban": IBAN}


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("vorrei rinnovare per 2 anni", 2),
        ("rinnovo di due anni", 2),
        ("per un anno", 1),
        ("Please renew for three years", 3),
        ("3 years please", 3),
        ("a 5-year renewal", 5),
        ("for ten years", 10),
        ("Anni: 4", 4),
        ("Years\t2", 2),
    ],
)
def test_years(text: str, years: int) -> None:
    result = extract_fields(text)
    assert result.fields == {"years": years}
    assert result.invalid == []


def test_years_in_the_past_are_not_a_request() -> None:
    for text in ("ho pagato 2 anni fa", "siamo clienti da 5 anni", "paid 3 years ago", "oltre 20 anni di esperienza"):
        result = extract_fields(text)
        assert result.fields == {} and result.invalid == [], text


def test_years_out_of_range_are_reported() -> None:
    result = extract_fields("rinnovo per 12 anni")
    assert "years" not in result.fields
    assert result.invalid == [InvalidValue("years", "12", "years must be between 1 and 10")]


def test_payment_references() -> None:
    assert extract_fields("CRO 12345678901").fields == {"payment_reference": "12345678901"}
    trn = "0306912345678901234567890IT"
    assert extract_fields(f"TRN: {trn}").fields == {"payment_reference": trn}
    assert extract_fields(f"Riferimento operazione: {trn.lower()}").fields == {"payment_reference": trn}
    result = extract_fields("CRO: 1234567890")
    assert [(bad.field, bad.value) for bad in result.invalid] == [("payment_reference", "1234567890")]


def test_iban_with_spaces_and_without_label() -> None:
    assert extract_fields(f"IBAN: {IBAN_SPACED} intestato a Esempio Srl").fields == {"iban": IBAN}
    assert extract_fields(f"bonifico su {IBAN_SPACED}").fields == {"iban": IBAN}
    result = extract_fields("IBAN: IT61 X054 2811 1010 0000 0123 456")
    assert "iban" not in result.fields
    assert result.invalid[0].reason == "IBAN check digit does not match"


def test_order_number_with_or_without_label() -> None:
    assert extract_fields("Pagamento ordine ORD-2024-000123").fields == {"order_number": "ORD-2024-000123"}
    assert extract_fields("Re: ord-2024-000123 rinnovo").fields == {"order_number": "ORD-2024-000123"}


def test_outlook_table_with_a_header_row() -> None:
    text = f"CIG\tCUP\tCodice univoco ufficio\tUsername\n{CIG_SMART}\t{CUP}\tUF5ZXA\tcomune.esempio\n"
    result = extract_fields(text)
    assert result.fields == {"cig": [CIG_SMART], "cup": [CUP], "office_code": "UF5ZXA", "username": "comune.esempio"}
    assert result.invalid == []


def test_outlook_table_rows_of_label_and_value() -> None:
    text = f"| CIG | {CIG_2024} |\n| Codice IPA | UF5ZXA |\n| P.IVA | {VAT} |\n| PEC | uff@pec.esempio.it |"
    result = extract_fields(text)
    assert result.fields == {"cig": [CIG_2024], "office_code": "UF5ZXA", "vat_number": VAT, "pec": "uff@pec.esempio.it"}


def test_a_full_italian_reply() -> None:
    text = (
        "Buongiorno,\ncome richiesto vi comunichiamo i dati per la fatturazione elettronica:\n"
        f"C.I.G. n. {CIG_ORDINARY.lower()}\ncodice univoco ufficio: UF5ZXA\nnome utente: comune.esempio\n"
        "Rinnoviamo per due anni.\nCordiali saluti\nUfficio Ragioneria\n"
        f"C.F. {ENTITY_CF} - P.IVA {VAT}\nPEC: ragioneria@pec.comune.esempio.it\nTel. 0612345678\n"
    )
    result = extract_fields(text)
    assert result.fields == {
        "cig": [CIG_ORDINARY],
        "office_code": "UF5ZXA",
        "username": "comune.esempio",
        "years": 2,
        "fiscal_code": ENTITY_CF,
        "vat_number": VAT,
        "pec": "ragioneria@pec.comune.esempio.it",
    }
    assert result.invalid == []


def test_a_full_english_reply() -> None:
    text = (
        f"Hello,\nplease find our details. CIG: {CIG_2024}, office code: UF5ZXA, username: acme-admin.\n"
        f"We made the transfer, TRN: 0306912345678901234567890IT, for ORD-2025-000042.\nWe want 3 years.\n"
        f"VAT no. IT{VAT}\n"
    )
    result = extract_fields(text)
    assert result.fields == {
        "cig": [CIG_2024],
        "office_code": "UF5ZXA",
        "username": "acme-admin",
        "payment_reference": "0306912345678901234567890IT",
        "order_number": "ORD-2025-000042",
        "years": 3,
        "vat_number": VAT,
    }


def test_nothing_in_plain_text() -> None:
    result = extract_fields("Grazie, a presto. Thanks, see you soon.")
    assert result.fields == {} and result.invalid == []
