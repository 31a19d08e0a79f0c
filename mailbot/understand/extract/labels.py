"""The labels people put before identifiers, Italian and English, as data.

Each ``Label`` names the fields its value fills and a case-insensitive pattern; the extractor adds
letter boundaries, so ``cig`` never matches inside a word. When two labels match at the same place
the longest wins ("codice univoco ufficio" over "codice univoco"; "C.F./P.IVA" over "C.F.").

The pseudo-field ``sdi_code`` is the code used by the exchange system (SdI): 6 characters make it an
office code (public administration), 7 a recipient code (company). Labels naming the office ("ufficio",
"IPA", "CUU") always mean an office code. A bare "codice" is never a label.

``quiet`` labels are everyday words that name many things ("rif.", "reference", "riferimento"): their
value is taken only when it is valid, and a value that fails its check is no invalid answer.

``strict`` labels are common words ("utente", "account", "login"): their value is taken after a real
separator (colon, equals, tab, pipe or a new line); after a plain space or "è" only when it looks like
a username (``USERNAME_SHAPE``: "l'utente è impianto-nord", "the account b.conti"). ``shaped`` labels
are everyday words before a username ("il servizio studio_pellegrini", "l'archivio studio_ferraro",
"ci riconosce come comune.esempio", "renew mrossi_home"): their value is taken only when it looks like
one, and one of them may start the username itself ("impianto-sud"). In a line written in capitals the
username is looked at in lower case ("IL SERVIZIO IMPIANTO-SUD"). After a username label with no
value right after it, the first word of its sentence that looks like a username is the value
("L'utenza sul portale è la stessa per entrambi: consorzio.piave").

A label may go on with words that say which portal, which entity, what for ("Username utilizzato per
l'accesso al portale", "C.F. dell'Ente", "CRO del bonifico") and notes in brackets ("Codice Univoco
Ufficio (per la fatturazione elettronica)") and words saying it is the right one ("il C.F. corretto
92984200920", "PEC nuova"): ``QUALIFIER_WORDS`` are those words, and the value is what
follows the whole label, never one of its words. A label ending in a word that links to more
(``LINKING_WORDS``: "lo username della scuola è cambiato") takes its value only after a real separator,
looked for a few words further ("Username della segreteria: x"). ``COMMON_WORDS`` are never a value of
a field that could be a plain word (a username, an office code in lower case).
"""

from __future__ import annotations

from dataclasses import dataclass

_COD = r"cod(?:ice|\.)?\s*"
_CF = r"(?:c\.?\s?f\.?|codice\s+fiscale|cod\.?\s*fisc\.?)"
_VAT = r"(?:p\.?\s?iva|partita\s+iva|p\.\s?i\.)"
_UNIVOCO = r"univ(?:oco|\.)"


def _words(*lines: str) -> list[str]:
    """Words written as lines of text, so that long lists stay readable."""
    return " ".join(lines).split()


@dataclass(frozen=True)
class Label:
    fields: tuple[str, ...]
    pattern: str
    strict: bool = False
    quiet: bool = False
    shaped: bool = False


LABELS: tuple[Label, ...] = (
    Label(("cig",), rf"(?:{_COD})?c\.?\s?i\.?\s?g\.?"),
    Label(("cig",), r"codice\s+identificativo\s+(?:di\s+)?gara"),
    Label(("cup",), rf"(?:{_COD})?c\.?\s?u\.?\s?p\.?"),
    Label(("cup",), r"codice\s+unico\s+(?:di\s+)?progetto"),
    Label(("office_code",), rf"{_COD}{_UNIVOCO}\s*(?:dell['’]\s*)?(?:ufficio|uff\.?)(?:\s+(?:ipa|fatturazione))?"),
    Label(("office_code",), rf"{_COD}(?:ufficio|ipa)"),
    Label(("office_code",), r"c\.?\s?u\.?\s?u\.?"),
    Label(("office_code",), r"(?:unique\s+)?office\s+code"),
    Label(("office_code",), r"ufficio\s+destinatario"),
    Label(("sdi_code",), rf"{_COD}{_UNIVOCO}(?:\s+sdi)?"),
    Label(("sdi_code",), rf"{_COD}(?:destinatario|sdi)(?:\s+sdi)?"),
    Label(("sdi_code",), r"sdi(?:\s+code)?"),
    Label(("sdi_code",), r"recipient\s+code"),
    Label(("vat_number",), _VAT),
    Label(("vat_number",), r"vat(?:\s+(?:number|no\.?|n\.|id|code|reg\.?(?:istration)?\s+(?:number|no\.?)))?"),
    Label(("fiscal_code",), _CF),
    Label(("fiscal_code",), r"(?:fiscal|tax)\s+code"),
    Label(("fiscal_code", "vat_number"), rf"{_CF}\s*(?:/|-|&|e|and)\s*{_VAT}"),
    Label(("fiscal_code", "vat_number"), rf"{_VAT}\s*(?:/|-|&|e|and)\s*{_CF}"),
    Label(("pec",), r"(?:indirizzo\s+|e-?mail\s+)?pec"),
    Label(("pec",), r"posta\s+(?:elettronica\s+)?certificata"),
    Label(("pec",), r"certified\s+e-?mail(?:\s+address)?"),
    Label(("iban",), rf"(?:{_COD})?iban"),
    Label(("order_number",), r"(?:(?:numero|n\.|nr\.?)\s*(?:d['’]\s*|dell['’]\s*)?)?ordine"),
    Label(("order_number",), r"order(?:\s+(?:number|no\.?|n\.|#))?"),
    Label(("payment_reference",), rf"(?:{_COD})?(?:cro|trn)"),
    Label(("payment_reference",), r"(?:codice\s+)?riferimento\s+(?:dell['’]\s*)?operazione"),
    Label(("payment_reference",), r"(?:payment|transaction|transfer)\s+reference"),
    Label(
        ("payment_reference",),
        r"rif\.?|ref\.?|(?:(?:your|our|bank|vs\.?|ns\.?)\s+)?(?:reference|riferimento)",
        quiet=True,
    ),
    Label(
        ("payment_reference",),
        r"(?:paypal\s+)?(?:transaction|transazione)\s+(?:id|code|number|no\.?)"
        r"|(?:id|codice|numero|n\.)\s+(?:della\s+|di\s+)?(?:transazione|transaction)",
        quiet=True,
    ),
    Label(("username",), r"user\s?name|nome\s+utente"),
    Label(("username",), r"user\s?id|usr|user|utente|utenza|(?<!bank\s)(?<!paypal\s)account|login", strict=True),
    Label(
        ("username",),
        r"servizio|impianto|archivio|archive|casella|mailbox|per\s+l['’]\s*accesso|(?:known|registered)\s+as"
        r"|(?:ci\s+)?riconosce\s+come|registrat[oi]\s+come|renew|rinnovate|rinnovare|service|subscription"
        r"|abbonamento|licenza|licen[cs]e"
        r"|(?:automatic\s+)?renewal\s+(?:for|of)|rinnovo(?:\s+automatico)?\s+(?:per|di|del|dell['’]\s*)",
        shaped=True,
    ),
)

# What a value looks like, per field, right after its label and separator (case-insensitive).
# A candidate that matches here but fails validation is reported as invalid.
CANDIDATES: dict[str, str] = {
    # Also in groups of digits, as read aloud: "5034 8119 77", "8814 006 BD6".
    "cig": r"[a-z0-9]{6,14}|\d{3,4}(?: [0-9a-f]{2,4}){2,3}",
    "cup": r"[a-z0-9]{10,20}",
    "office_code": r"[a-z0-9_]{4,10}",
    "sdi_code": r"[a-z0-9_]{4,10}",
    "vat_number": r"(?:it\s?)?\d{6,14}",
    "fiscal_code": r"[a-z0-9]{8,18}",
    "pec": r"[^\s<>;,()\[\]\"']+@[^\s<>;,()\[\]\"']+",
    "iban": r"[a-z]{2}\d{2}(?: ?[a-z0-9]){8,32}",
    "order_number": r"ord[-\s]?\d[\d-]*",
    # Groups of digits may follow, written apart: "CRO 1234 5678 901", "BPPIITRRXXX 2602 1600 4471".
    "payment_reference": r"[a-z0-9]{4,40}(?: \d{2,5}(?![a-z0-9]))*",
    "username": r"[^\s,;:<>()\[\]\"'“”«»]{2,64}",
}

# Words that may follow a label as part of it (which portal, entity, purpose), matched whole; Italian
# then English.
QUALIFIER_WORDS: tuple[str, ...] = tuple(
    _words(
        "del dello della dell dei degli delle di da dal dalla per il lo la l al allo alla sul sulla nel nella",
        "vostro vostra nostro nostra utilizzato utilizzata utilizzati usato usata utilizzare usare accesso",
        "accedere portale sito piattaforma servizio area riservata web online fatturazione elettronica",
        "fattura fatture ente amministrazione comune ufficio istituto scuola bonifico pagamento versamento",
        "conto corrente attuale registrato registrata assegnato assegnata attribuito attribuita",
        "corretto corretta esatto esatta giusto giusta nuovo nuova aggiornato aggiornata valido valida",
        "rinnovo relativo relativa riferito riferita",
        "of for the to on in our your used log login access accessing portal website site platform",
        "invoicing electronic e-invoicing entity administration office account payment transfer current",
        "registered correct right new updated valid assigned renewal related",
    )
)
# Qualifier words that link to more words: a value right after them (a plain space) is not the value.
LINKING_WORDS = frozenset(
    _words(
        "del dello della dell dei degli delle di da dal dalla per il lo la l al allo alla sul sulla nel nella",
        "vostro vostra nostro nostra of for the to on in our your log",
    )
)
# Words never read as a username or a lower-case office code: what people write after a label when
# the value is elsewhere ("Username: per favore...", "lo username del portale non lo ricordo").
COMMON_WORDS = frozenset(
    _words(
        "il lo la le gli un uno una di del dello della dell dei degli delle da dal dalla in nel nella con su",
        "sul sulla per tra fra al alla ai e ed o od ma se che chi non come dove quando quale questo questa",
        "quello quella stesso stessa nostro nostra vostro vostra mio mia suo sua loro è sono era sia ha",
        "hanno abbiamo avete sempre ancora allora ovvero oppure quindi invece presso sotto sopra qui qua",
        "già gia anche solo pure seguente seguenti indicato indicata riportato riportata allegato allegata",
        "utilizzato utilizzata usato usata associato associata collegato registrato attuale attivo scaduto",
        "corretto errato sbagliato nuovo nuova vecchio vecchia uguale diverso cambiato dimenticato smarrito",
        "richiesto rinnovo rinnovare portale accesso utente username password account login codice ufficio",
        "numero favore grazie nome vedi vedere trovate trova inviato inviamo comunico comunichiamo seguito",
        "sarà sara fattura fatturazione nessuno nessun",
        # pronouns that follow a label in speech: "lo username me l'ha dato il CED"
        "me mi te ti ce ci ve vi ne lui lei noi voi",
        # the labels of other fields: "our company account\nIBAN IT60...", "the account\nCIG ..."
        "iban cig cup pec sdi cro trn iva vat cf",
        "the a an of for to in on at by with from and or but not no is are was were be been has have our",
        "your my its their this that these those same used below above here there following attached",
        "portal please new old current still also only user name as it we you will should would can could",
        "unknown missing",
    )
)

# What a username written without a real label looks like (lower case, as written): words joined by
# dots, dashes or underscores ("comune.esempio", "garage-cam", "casa_mare"), or letters then digits
# ("magazzino2"). Not one when every part has three letters or fewer ("d.lgs", "s.r.l", "art.17").
# Also an initial before a surname ("mrossi", "jsmith", "gbianchi"): two consonants no Italian or
# English word starts with (``WORD_ONSETS`` are those that do: "standard", "clienti", "grazie"), then
# a vowel, five letters at least.
WORD_ONSETS = _words(
    "bl br ch cl cr cz dr dw fl fr gh gl gn gr kh kl kn kr mn ph pl pn pr ps pt rh",
    "sb sc sd sf sg sh sk sl sm sn sp sq st sv sw sz th tr ts tw vl wh wr zh zw",
)
_CONSONANT = "[b-df-hj-np-tv-xz]"
INITIAL_AND_SURNAME = rf"(?!{'|'.join(WORD_ONSETS)}){_CONSONANT}{{2}}[a-z]*[aeiouy][a-z]{{2,}}"
USERNAME_SHAPE = r"[a-z][a-z0-9]*(?:[._-][a-z0-9]+)+|[a-z]+[0-9][a-z0-9]*|" + INITIAL_AND_SURNAME
USERNAME_MIN_PART = 4
# Words of that shape that are no username.
SHAPED_COMMON_WORDS = frozenset(
    _words(
        "e-mail e-mails email e-invoicing e-fattura wi-fi check-in check-up follow-up log-in sign-in on-line",
        "off-line real-time split-payment pay-per-view dott.ssa prof.ssa sig.ra mp3 mp4 4g 5g",
        "auto-renew auto-renewal auto-rinnovo",
    )
)
# Beginnings of words of that shape that are web addresses or verbs, no username: "www.example.it", "re-issue".
NOT_USERNAME_PREFIXES = ("www.", "http", "re-")  # "re-issue", "re-send": verbs
# Nouns after a username: "the garage-cam account".
USERNAME_NOUNS_AFTER = r"account|user(?:name)?|login"

# A value said a few words after its label, when nothing follows the label itself ("il codice univoco
# ufficio è lo stesso per tutte e tre: TJ0WYU", "la partita IVA giusta è 66240390843"): the shapes
# looked for, case-sensitive. A CIG needs its checksum, and a letter and a digit or a real separator
# right before it ("il CIG per il rinnovo è 3530829443"). An office code needs a letter and a digit, or
# a real separator right before it ("è", ":"); a VAT number, an entity's fiscal code or a payment reference
# (after a label that names one: "CRO", "TRN") always needs one.
FURTHER_SHAPES: dict[str, str] = {
    "cig": r"[0-9A-Z]{10}",
    "office_code": r"[A-Z0-9]{6}",
    "sdi_code": r"[A-Z0-9]{6,7}",
    "vat_number": r"(?:IT ?)?\d{11}",
    "fiscal_code": r"\d{11}",
    "pec": r"[^\s<>;,:()\[\]\"'“”«»]+@[^\s<>;,:()\[\]\"'“”«»]+[^\s<>;,:()\[\]\"'“”«».]",
    # "Il TRN che mi dà la ricevuta è 2603181234567890IT" (not after an everyday label: "il riferimento è")
    "payment_reference": r"[0-9A-Z]{8,40}",
}
FURTHER_NEEDS_SEPARATOR = frozenset({"vat_number", "fiscal_code", "payment_reference"})
# A PEC said away from its label is taken only on a certified mail domain: a part of the domain is one
# of these, or starts or ends with "pec" (pec.it, legalmail.it, arubapec.it, pec.comune.esempio.it).
PEC_DOMAIN_PARTS = frozenset(_words("pec legalmail cert postacert postecert sicurezzapostale"))
# A personal fiscal code (codice fiscale) is known by its shape alone: six letters, the year, the
# month's letter, the day, the town and the check letter (digits may be letters after omocodia).
PERSONAL_FISCAL_CODE = r"[a-z]{6}[0-9lmnpqrstuv]{2}[a-z][0-9lmnpqrstuv]{2}[a-z][0-9lmnpqrstuv]{3}[a-z]"

# The sender's own data: in their signature they say who writes, they are not the answer.
SENDER_FIELDS = frozenset({"fiscal_code", "vat_number", "pec", "iban", "office_code", "recipient_code"})
# Fields whose candidates must contain a digit (so "CIG richiesto" is not a wrong CIG).
NEEDS_DIGIT = frozenset({"cig", "cup", "vat_number", "fiscal_code", "iban", "order_number", "payment_reference"})
# Fields that hold a list of values; further values may follow the first: "CIG: A, B e C".
LIST_FIELDS = frozenset({"cig", "cup"})

# -- years (``years.find_years``) ------------------------------------------------------------------
# Words that count years, Italian then English; "a"/"an" count only after "for/per" or a renewal verb.
NUMBER_WORDS: dict[str, int] = {
    **dict.fromkeys(("un", "uno", "una", "one", "a", "an"), 1),
    **{word: n for n, word in enumerate(_words("due tre quattro cinque sei sette otto nove dieci"), start=2)},
    **{word: n for n, word in enumerate(_words("two three four five six seven eight nine ten"), start=2)},
}
ARTICLE_NUMBERS = frozenset({"a", "an"})
# Words saying "more" around the number: "un altro anno", "altri due anni", "one more year", "two
# additional years"; "another" alone is one ("another year").
YEAR_MORE_BEFORE = _words("altri ulteriori another")
YEAR_MORE_AFTER = _words("altro altri ulteriore ulteriori more additional extra further other")
YEAR_ANOTHER = _words("another")
# Units: years, "annualità", and months (a whole number of years only: "12 mesi", "24 months").
YEAR_UNITS = _words("anni anno annualità annualita years year yrs yr ani")
# Units written before their number, as offices write: "per anni 2 (due)", "per la durata di anni tre".
YEAR_UNITS_BEFORE = _words("anni annualità annualita")
MONTH_UNITS = _words("mesi mese months month")
# Adjectives and nouns of a renewal's length, read only after a renewal word ("rinnovo biennale",
# "rinnovo per il prossimo biennio"): "abbonamento annuale" names a cadence, not a count.
YEAR_ADJECTIVES: dict[str, int] = {
    "annuale": 1,
    "biennale": 2,
    "triennale": 3,
    "quadriennale": 4,
    "quinquennale": 5,
    "biennio": 2,
    "triennio": 3,
    "quadriennio": 4,
    "quinquennio": 5,
}
RENEWAL_WORDS = r"rinnov\w*|renew\w*"
# Words before a number of years that say it is no request: the past and the customer's history
# ("2 anni fa", "da 5 anni", "oltre 20 anni", "ho fatto due anni", "I paid two years"), a time span
# ("in 2 years", "entro 2 anni", "tra due anni") or a cadence ("ogni 2 anni", "every 3 years").
YEAR_NOT_ASKED_BEFORE = (
    *_words("da oltre ultimi entro tra fra ogni dopo since over than last past in within every after"),
    *_words("fatto preso pagato avuto acquistato comprato paid bought had took"),
    "più di",
)
YEAR_NOT_ASKED_AFTER = _words("fa ago")
# A question about the price in the same sentence: "quanto costa il rinnovo per 3 anni?" asks no renewal,
# nor does a request for a quote ("un preventivo per il rinnovo biennale", "a quote for 3 years"; "come
# da vostro preventivo, rinnovate per 2 anni" is a request).
PRICE_QUESTION = (
    r"(?:un|una|a|an)\s+(?:preventivo|quotazione|quote|quotation|estimate)|"
    r"quanto\s+(?:cost\w*|verrebbe|viene|sarebbe|pagherei|pagheremmo|spender\w*)|how\s+much"
    r"|(?:qual\s*(?:è|e'|sarebbe)|what\s+(?:is|would\s+be)|what['’]s)\s+(?:il\s+|the\s+)?(?:prezzo|costo|price|cost)"
)
