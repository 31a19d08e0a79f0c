"""The shipped rules on the many ways customers and offices write each request (issue 11).

Each intent of DOMAIN.md has a table of phrases written as people write them, not in the words of the
rules: formal PA Italian, casual Italian without accents and with typos, English from non-native
writers, requests as orders, wishes and questions, and negations. A message may carry several
requests and every intent whose rules hit becomes one, so each phrase must hit the rules of its own
intent and no rule of another: the tables are the positive and the negative tests at once. ``MULTI``
holds messages with several requests, ``NEAR_MISSES`` the words that look like an intent but are not.

Facts are built as the reading builds them: the text, and the fields the extractor finds in it
(valid or invalid), for a person (``human``); the customer's kind is unknown unless a case says so.
The negative checks run for every customer kind, so a rule kept for public administrations is held
to the same standard.
"""

from __future__ import annotations

import pytest

from mailbot.domain import Intent
from mailbot.paths import rules_dir
from mailbot.understand.engine import Facts, evaluate
from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.rules import CUSTOMER_KINDS, INTENTS, RuleSet, load_rules

RULES = load_rules(rules_dir())

# What real messages carry besides the request: a signature, a confidentiality notice.
DISCLAIMER_IT = (
    " Le informazioni contenute in questa e-mail sono riservate. Se avete ricevuto questo messaggio per errore,"
    " vi preghiamo di cancellarlo e di non utilizzarne il contenuto."
)
DISCLAIMER_EN = (
    " This email and any attachments are confidential. If you are not the intended recipient,"
    " please delete it and do not copy or use it."
)
# A company's signature carries its VAT number, recipient code and PEC: no request by itself.
COMPANY_SIGNATURE = (
    " Rossi Srl | Via Roma 1, 20100 Milano | P.IVA 01234560017 | Codice destinatario M5UXCR1"
    " | PEC amministrazione@pec.rossisrl.it | Tel. 02 1234567"
)
PA_SIGNATURE = (
    " Il Responsabile del Servizio Finanziario - Comune di Esempio - C.F. 80012340586"
    " - PEC protocollo@pec.comune.esempio.it"
)

PA_BILLING_DETAILS = [
    "CIG: Z213346E34 - Codice univoco ufficio: UFXK9T - Utente: comune.esempio",
    "Si comunicano i dati per la fatturazione elettronica: CIG 8814006BD6, codice univoco ufficio UFXK9T.",
    "Il codice IPA dell'ufficio destinatario è UF9K2L.",
    "C.I.G. n. 8814006bd6",
    "cod. univoco ufficio H2J28R",
    "Con la presente si trasmettono gli estremi per la fatturazione: CIG A12345FCF1, CUU UF9K2L.",
    "Vi trasmettiamo il CIG richiesto: Z213346E34",
    "Codice ufficio UFXK9T, CUP J51B21001230007",
    "il cig e Z213346E34 e il codice ufficio UFXK9T, utente comune.esempio",
    "Si prega di indicare in fattura il CIG Z213346E34.",
    "Il CIG ve lo mandiamo appena l'ufficio lo rilascia.",
    "Il codice univoco ufficio lo trovate su IndicePA, comunque è UFXK9T.",
    "CUP: J51B21001230007",
    "Here is our CIG: 8814006BD6 and our unique office code QWE7R2.",
    "CIG code 8814006BD6, CUP J51B21001230007.",
    "Please find below the data for the e-invoice: office code QWE7R2, username asl.esempio",
    "Our IPA code is UF9K2L.",
    "We will send the unique office code tomorrow.",
    "The CIG will follow next week, the procurement office is issuing it.",
    "the cig is 8814006BD6",
    "In riscontro alla Vostra si forniscono i seguenti dati: CIG Z213346E34; Codice Univoco Ufficio UFXK9T.",
    "smart cig: Z213346E34",
    "Codice IPA: UF9K2L - CIG 8814006BD6",
    "ecco il codice univoco ufficio per la fatturazione elettronica UFXK9T",
    "Il CIG relativo all'affidamento è 8814006BD6.",
    "Per la liquidazione della fattura occorre indicare il CIG, che vi comunicheremo appena disponibile.",
    "Hello, the CIG number is 8814006BD6 and the office code QWE7R2.",
    "CUP J51B21001230007 - CIG 8814006BD6",
    "Si comunica il codice univoco dell'ufficio destinatario della fattura: UF9K2L",
    "Unique office code: QWE7R2, username comune.esempio",
    "Come da Vs. richiesta si riportano gli estremi: C.I.G.: Z213346E34 Cod. Univoco: UFXK9T. Cordiali saluti."
    + PA_SIGNATURE,
    "In allegato il buono d'ordine. CIG 8814006BD6, codice ufficio UFXK9T." + PA_SIGNATURE,
    "Si precisa che il codice univoco ufficio da utilizzare per la fattura elettronica è UF9K2L.",
    "Dear sirs, please use CIG 8814006BD6 and IPA code UF9K2L on the electronic invoice." + DISCLAIMER_EN,
    "cig Z213346E34 cod uff UFXK9T user comune.esempio",
    "Il CIG non è ancora disponibile, ve lo comunicheremo.",
    "Si inviano CIG e CUU: 8814006BD6 / UF9K2L",
    "We still need to request the CIG, we will send it asap.",
]
# Words only, no code: evidence only when a public administration writes them.
PA_WORDS = [
    "La fattura va emessa in regime di scissione dei pagamenti (art. 17-ter DPR 633/72).",
    "Ente soggetto a split payment: la fattura dovrà riportare l'esigibilità IVA S.",
    "Si ricorda che l'Ente è in split payment.",
    "We are a public body subject to split payment.",
]

RENEWAL_REQUEST = [
    "Buongiorno, vorrei rinnovare l'abbonamento per un altro anno.",
    "Si chiede di voler procedere al rinnovo del servizio per l'anno 2025.",
    "Con la presente si comunica la volontà di questo Ente di rinnovare il servizio per ulteriori 12 mesi.",
    "Si trasmette la determina di affidamento n. 45/2024 per il rinnovo annuale del servizio di conservazione.",
    "In esecuzione della determina dirigenziale n. 123 si autorizza il rinnovo del servizio per un anno.",
    "Si richiede il rinnovo del servizio in oggetto.",
    "Rinnovate pure per 2 anni, grazie",
    "ok x il rinnovo, procedete pure",
    "si rinnoviamo, mandatemi i dati x il bonifico",
    "vorrei rinnovare ma nn trovo il pulsante, potete farlo voi?",
    "Potete rinnovarmi il portale per tre anni?",
    "Vi confermo il rinnovo per il prossimo anno.",
    "Vorremmo prolungare l'abbonamento di un anno.",
    "rinnovo x 2 anni grazie",
    "desidero rinnovare tutti e tre gli impianti",
    "mi serve rinnovare il servizio entro fine mese, come faccio?",
    "Vogliamo rinnovare anche quest'anno.",
    "ci interessa il rinnovo per 5 anni",
    "Procedete con il rinnovo di tutti i dispositivi selezionati.",
    "Riattivate il servizio scaduto per favore, lo pago subito.",
    "e possibile rinnovare x un solo anno?",
    "vorrei rinovare la casella pec",
    "Rinnoviamo per un anno con bonifico.",
    "Buongiorno, sì al rinnovo. Saluti",
    "Please renew my subscription for another year.",
    "We want to renew for 3 years.",
    "Kindly proceed with the renewal of our account.",
    "I would like to extend my subscription by one year.",
    "Would it be possible to renew the service for two years?",
    "Yes, please go ahead and renew it.",
    "We wish to renew all our devices.",
    "Renew 1 year please.",
    "Can you renew my account? It expired yesterday.",
    "I confirm the renewal for 2 years.",
    "we are interested to renew the contract for next year",
    "Please to renew the service, thank you",
    "I want renew for 2 year",
    "Could you please reactivate my expired account?",
    "Ok for the renewal, send me the bank details.",
    "We will renew, please send the payment instructions.",
    "Salve, procedo con il rinnovo per 1 anno, mi indicate come pagare?",
    "Per favore rinnovatemi il servizio.",
    "Il servizio mi serve ancora, rinnoviamo pure.",
    "Si conferma la volontà di proseguire il servizio per l'anno 2025.",
    "vorrei continuare ad usare il servizio anche il prossimo anno",
    "Ok, rinnovo di un anno. Grazie",
    "Desidero rinnovare il contratto del dispositivo impianto-nord.",
    "Siamo interessati al rinnovo triennale.",
    "I'd like to keep the service for another year.",
    "Please go on with the renewal for 2 years.",
    "We would like to continue the subscription.",
    "Yes we renew, thanks.",
    "Hello, I want to renovate my subscription for one year.",
    "Gentili signori, vi preghiamo di rinnovare il servizio per un ulteriore anno. Distinti saluti." + DISCLAIMER_IT,
    "Buonasera, vorremmo rinnovare gli impianti impianto-nord e impianto-sud per 2 anni.",
    "si procede pure con il rinnovo biennale",
    "Con riferimento alla Vs. offerta, si comunica l'adesione al rinnovo per l'anno 2025." + PA_SIGNATURE,
    "ciao, rinnovo volentieri, mandami il link x pagare",
    "Rinnovo confermato.",
    "Please proceed to renew our three devices for one year." + DISCLAIMER_EN,
    "Go ahead with renewal, 3 years.",
    "Hi, count us in for another year!",
    "We'd like to renew all the selected devices.",
    "Vorrei rinnovare per un anno." + COMPANY_SIGNATURE,
    "Il servizio è scaduto da una settimana, vorrei riattivarlo.",
    "My subscription lapsed in March, could you reactivate it?",
    "Procedete pure col rinnovo, pago con carta.",
    "Si rinnova per un anno.",
]

PAYMENT_NOTICE = [
    "Fatto il bonifico, rif. 0306912345678901234567890IT",
    "Abbiamo effettuato il bonifico in data odierna.",
    "Vi informo che ho pagato ieri con bonifico.",
    "Pagato! TRN 0306912345678901234567890IT",
    "bonifico fatto stamattina",
    "Si comunica che è stato emesso mandato di pagamento n. 1234 del 12/03/2024.",
    "Con la presente si trasmette la quietanza del mandato di pagamento relativo alla fattura n. 45.",
    "Si informa che la fattura n. 123 è stata liquidata con mandato n. 789 del 05/04/2024.",
    "L'Ente ha provveduto al pagamento della fattura in oggetto.",
    "Si comunica l'avvenuto pagamento della fattura n. 123/2024.",
    "In allegato la contabile del bonifico.",
    "ho pagato con bollettino postale, allego ricevuta",
    "ho appena saldato l'ordine ORD-2024-000123",
    "Il pagamento è stato disposto in data 10/05/2024, CRO 12345678901.",
    "vi ho mandato i soldi ieri col bonifico",
    "versamento effettuato, vi allego la distinta",
    "pagamento eseguito tramite bonifico SEPA, riferimento operazione 1234ABCD5678",
    "ho fatto il bonifico x il rinnovo, fatemi sapere se arriva",
    "Ho già pagato, potete verificare?",
    "L'ordine è stato pagato ieri.",
    "il bonifico e partito oggi",
    "pagato con paypal stamattina",
    "Paid today, ref 0306912345678901234567890IT.",
    "We have made the bank transfer, please find attached the receipt.",
    "Payment done.",
    "I paid the invoice yesterday by wire transfer.",
    "The transfer was sent this morning, TRN 0306912345678901234567890IT.",
    "Please find attached the proof of payment.",
    "We have settled the invoice.",
    "I did the payment via bank transfer on 12 March.",
    "Money sent, please confirm reception.",
    "I have payed the renewal by bank transfer",
    "Payment has been executed today.",
    "The wire went out yesterday.",
    "Buongiorno, il pagamento è stato effettuato ieri tramite bonifico bancario.",
    "Vi comunico che ho provveduto al saldo.",
    "Bonifico disposto in data odierna, allego copia.",
    "Ho pagato con PayPal, mi confermate?",
    "fatto bonifico ieri sera",
    "ho versato la quota tramite bonifico il 3 maggio",
    "Si trasmette copia del mandato di pagamento quietanzato.",
    "We paid the order ORD-2024-000123 this morning.",
    "Bank transfer executed, reference 0306912345678901234567890IT.",
    "I've just sent the money via wire transfer.",
    "Transfer done yesterday.",
    "Buongiorno, in data odierna abbiamo disposto bonifico a Vs. favore per l'importo di 120,00 euro. Saluti."
    + DISCLAIMER_IT,
    "Vi informiamo che il pagamento della fattura 12/2024 è stato effettuato con mandato n. 345 del 02/05/2024."
    + PA_SIGNATURE,
    "Ho saldato tutto ieri.",
    "ho fatto il pagamento con carta stamattina, tutto ok?",
    "Pagamento effettuato, vedi allegato.",
    "Hello, the payment has been made today by bank transfer." + DISCLAIMER_EN,
    "We wired the money on Monday.",
    "Hi, just paid via PayPal.",
    "Attached you will find the bank transfer receipt.",
]

BILLING_UPDATE = [
    "Usate il mio codice fiscale sulla fattura: RSSMRA85T10A562S",
    "Intestate la fattura a Rossi Srl, P.IVA 01234560017.",
    "La nostra PEC è cambiata: amministrazione@pec.rossisrl.it",
    "Vi comunichiamo il nuovo codice destinatario: M5UXCR1",
    "La fattura deve essere intestata alla società e non a me.",
    "Vi prego di correggere la partita IVA in fattura, è sbagliata.",
    "abbiamo cambiato sede legale, aggiornate i dati",
    "x la fattura usate questa p.iva 01234560018",
    "Dal 1 gennaio la ragione sociale è diventata Rossi Srl.",
    "I dati di fatturazione corretti sono i seguenti: Rossi Srl, P.IVA 01234560017, codice destinatario M5UXCR1.",
    "Si comunica la variazione della denominazione sociale dell'Ente.",
    "Fatturate a nome della mia ditta individuale, P.IVA 01234560017",
    "vorrei la fattura intestata a mio marito",
    "Il codice SDI è cambiato, quello nuovo è M5UXCR1.",
    "Non usiamo più la vecchia PEC, usate questa: fatture@pec.example.it",
    "Per favore inserite in fattura la partita IVA 01234560017 invece del codice fiscale.",
    "l'indirizzo di fatturazione e cambiato",
    "Si comunica che il codice fiscale dell'Ente da riportare in fattura è 80012340586.",
    "la p.iva giusta e 01234560017, quella in fattura e sbagliata",
    "Please use my fiscal code on the invoice: RSSMRA85T10A562S.",
    "Please issue the invoice to Rossi Srl, VAT 01234560017.",
    "Our VAT number has changed.",
    "Could you update our billing address?",
    "The company name on the invoice is wrong, it should be Rossi Srl.",
    "Please put our VAT number on the invoices from now on: IT01234560017.",
    "Our new PEC is admin@pec.rossi.it",
    "We changed the recipient code, the new one is M5UXCR1.",
    "Please invoice our company instead of me personally.",
    "please correct the tax code on my invoices",
    "Invoice must be addressed to Rossi Srl, VAT IT01234560018.",
    "il nostro indirizzo PEC non e piu quello, ora e amministrazione@pec.rossisrl.it",
    "Abbiamo cambiato ragione sociale.",
    "Attenzione: la partita IVA riportata in fattura è errata.",
    "Per cortesia aggiornate il nostro codice destinatario in M5UXCR1.",
    "La fattura va intestata a Studio Bianchi, codice fiscale RSSMRA85T10A562S.",
    "Please note our new company name: Rossi Srl.",
    "Could you please change the VAT number on our account?",
    "Our billing address is now Via Roma 1, Milano.",
    "The invoice should show our company, not my name.",
    "Buongiorno, dal prossimo rinnovo la fattura deve essere intestata al Comune di Esempio e non alla scuola.",
    "Vi comunichiamo i nuovi dati fiscali: Rossi Srl, via Roma 1, P.IVA 01234560017.",
    "Siamo diventati Srl, la nuova partita IVA e 01234560017",
    "Pls change the company name on invoices to Rossi Srl.",
    "Kindly note that our VAT ID is now IT01234560017." + DISCLAIMER_EN,
    "Our fiscal code is wrong on your invoices.",
    "Vorrei che in fattura comparisse il mio codice fiscale RSSMRA85T10A562S.",
    "Il codice destinatario corretto è M5UXCR1, quello che avete è sbagliato.",
    "Vi mando il codice destinatario: M5UXCR1",
    "Codice univoco SDI per la fattura: M5UXCR1",
    "Ecco i nostri dati di fatturazione: Rossi Srl, P.IVA 01234560017, codice destinatario M5UXCR1",
    "Ci siamo trasferiti: il nuovo indirizzo da mettere sulle fatture è Via Verdi 3, Torino.",
    "Please put our new address on the next invoices.",
    "Vi chiediamo di aggiornare la nostra anagrafica con questi dati.",
    "Non abbiamo un codice destinatario, mandate la fattura alla PEC amministrazione@pec.rossisrl.it",
    "New SDI recipient code: M5UXCR1",
    "Please invoice the new company from now on.",
    "Please issue the invoice to my studio instead of my personal name.",
    "In fattura per favore mettete il mio codice fiscale.",
    "Sulla vostra fattura partita IVA e codice fiscale della società sono invertiti.",
    "Per la fattura elettronica: codice destinatario 0000000, PEC rossi@pec.it",
]

AUTORENEW_OFF = [
    "Vi chiedo di disattivare il rinnovo automatico.",
    "non voglio il rinnovo automatico",
    "Potete togliere il rinnovo automatico dalla mia carta?",
    "disattivate il rinnovo automatico x favore",
    "Preferisco pagare ogni anno manualmente, niente rinnovo automatico.",
    "Non desidero che il servizio si rinnovi automaticamente.",
    "Come faccio a disattivare il rinnovo automatico?",
    "vorrei che nn mi addebitaste in automatico il rinnovo",
    "Si chiede la disattivazione del rinnovo automatico per il servizio in oggetto.",
    "rimuovete l'addebito automatico sulla carta",
    "Non voglio più che mi venga addebitato automaticamente il rinnovo.",
    "Disabilitate l'autorinnovo per favore",
    "potete disattivare il rinnovo automatico?",
    "il rinnovo automatico lo potete togliere, rinnovo io a mano quando serve",
    "vorrei disativare il rinnovo automatco",
    "No al rinnovo automatico, grazie.",
    "Please turn off automatic renewal.",
    "I don't want auto renewal.",
    "Can you disable the auto-renew on my account?",
    "Please stop charging my card automatically.",
    "I would like to opt out of automatic renewal.",
    "How do I switch off the automatic renewal?",
    "Please remove the recurring payment from my card.",
    "No automatic renewal please, I prefer to pay manually.",
    "Would it be possible to deactivate autorenewal?",
    "i dont want that my subscription renew automatically",
    "Non desidero il rinnovo automatico, grazie.",
    "Togliete l'autorinnovo.",
    "vi prego di non addebitare automaticamente la mia carta",
    "Buongiorno, potreste disabilitare il rinnovo automatico sul servizio impianto-nord?",
    "Basta rinnovo automatico, grazie.",
    "Please deactivate the auto renewal for my account.",
    "I'd like to turn the automatic renewal off.",
    "Don't renew automatically please.",
    "I prefer not to have automatic renewal.",
    "Please don't charge my card automatically anymore.",
    "Buongiorno, vi chiedo gentilmente di non rinnovare automaticamente il servizio, preferisco decidere io.",
    "Desidero disattivare l'addebito automatico.",
    "No rinnovo automatico grazie",
    "Annullate il rinnovo automatico della casella, grazie." + DISCLAIMER_IT,
    "Hi, please switch the auto renewal off.",
    "I do not want the subscription to be renewed automatically.",
    "Please cancel automatic payments on my PayPal.",
    "Togliete l'addebito automatico: deciderò io se rinnovare.",
    "Please turn off the auto renewal, I'd rather renew manually.",
    "Revoco l'autorizzazione all'addebito ricorrente sulla carta.",
    "Please opt me out of the recurring payment.",
    "I don't want to be charged automatically anymore.",
]

AUTORENEW_ON = [
    "Vorrei attivare il rinnovo automatico.",
    "Potete impostare il rinnovo automatico con la mia carta?",
    "Attivate pure il rinnovo automatico con PayPal.",
    "Mi piacerebbe che il servizio si rinnovasse automaticamente ogni anno.",
    "Come si attiva il rinnovo automatico?",
    "Voglio il rinnovo automatico cosi nn mi dimentico",
    "Riattivate il rinnovo automatico per favore.",
    "Si chiede di abilitare il rinnovo automatico.",
    "mettete il rinnovo automatico sulla carta",
    "Preferisco l'addebito automatico ogni anno.",
    "E possibile avere il rinnovo automatico?",
    "vorrei che si rinnovi in automatico",
    "Sì al rinnovo automatico.",
    "Please turn on automatic renewal.",
    "I'd like to enable auto-renew.",
    "Can you set up automatic renewal with PayPal?",
    "Please renew automatically every year from now on.",
    "I want my subscription to renew automatically.",
    "Is it possible to activate the automatic renewal?",
    "Switch on auto renewal please.",
    "Please enable recurring payments on my card.",
    "how can i put the auto renew on?",
    "I would like automatic renewal, so I don't forget.",
    "Potete abilitare l'addebito automatico sulla mia carta?",
    "Vorrei che il servizio venisse rinnovato automaticamente.",
    "vorrei il rinnovo automatico",
    "attivatemi il rinnovo automatico",
    "Please activate automatic renewal.",
    "I'd like the subscription to renew automatically each year.",
    "Can you turn the auto renewal on?",
    "Please set my account to auto-renew.",
    "Vorrei che l'abbonamento si rinnovasse da solo.",
    "Yes to automatic renewal, please.",
    "L'anno scorso avevo tolto il rinnovo automatico: ora riattivate il rinnovo automatico.",
    "Enable auto renewal please.",
    "I want the automatic renewal.",
    "Buongiorno, per comodità vorrei attivare il pagamento automatico con PayPal.",
    "Potete rinnovarlo in automatico ogni anno sulla mia carta?",
    "Si al rinnovo automatico, grazie.",
    "I want to activate auto renewal with PayPal.",
    "Please make it renew automatically.",
    "Could you turn on the auto-renewal option for my account?",
]

CANCELLATION = [
    "Non rinnovate il servizio, grazie.",
    "Con la presente si comunica la disdetta del contratto alla scadenza naturale.",
    "Vi comunico che non intendo rinnovare l'abbonamento.",
    "nn rinnovo, grazie lo stesso",
    "Vorrei disdire l'abbonamento.",
    "Chiudete pure il mio account, non lo uso piu.",
    "Non siamo più interessati al servizio.",
    "Si comunica che l'Ente non procederà al rinnovo del servizio.",
    "Vorrei cancellare il mio abbonamento.",
    "lasciate scadere il servizio, non mi serve più",
    "non ci interessa rinnovare",
    "Esercitiamo il diritto di recesso.",
    "Per favore annullate il contratto.",
    "Abbiamo deciso di non rinnovare, passiamo ad un altro fornitore.",
    "Non rinnoverò, grazie.",
    "Il servizio non ci serve più, potete disattivarlo.",
    "Questa Amministrazione non intende avvalersi del rinnovo.",
    "Please do not renew my subscription.",
    "We will not be renewing this year.",
    "I want to cancel my account.",
    "Please close my account, I no longer need it.",
    "We decided not to renew the contract.",
    "I don't want to renew anymore.",
    "Please let the subscription expire.",
    "We no longer need the service, please terminate it.",
    "No renewal for us, thanks.",
    "I not want renew, please cancel",
    "kindly stop the service at the expiry date",
    "Non ho intenzione di rinnovare.",
    "Il servizio non ci interessa più.",
    "Vi informo che non rinnoverò il servizio.",
    "Per favore, chiudete l'abbonamento.",
    "Non rinnovare grazie",
    "Si comunica la volontà di non rinnovare il contratto.",
    "I wish to cancel the subscription.",
    "We are not going to renew.",
    "Please cancel my subscription at the end of the term.",
    "I don't need the service anymore.",
    "We have decided to discontinue the service.",
    "Gentili signori, con la presente comunichiamo che non intendiamo proseguire il rapporto." + DISCLAIMER_IT,
    "Buongiorno, non ci serve più il servizio, grazie di tutto.",
    "Vi prego di non rinnovare il mio abbonamento.",
    "Non procederemo al rinnovo.",
    "Abbiamo cessato l'attività, vi preghiamo di chiudere l'account.",
    "Please cancel my account, we closed the business." + DISCLAIMER_EN,
    "We don't want to continue.",
    "Do NOT renew!",
    "Non rinnoveremo, grazie." + COMPANY_SIGNATURE,
    "Potete annullare l'ordine ORD-2024-000123?",
    "Please cancel order ORD-2024-000123.",
    "Non lo rinnovo più, grazie.",
    "Please delete my account and all my data.",
    "L'archivio non ci serve più, non rinnovatelo.",
]

UPGRADE_REQUEST = [
    "Vorrei passare dal mensile all'annuale.",
    "Possiamo passare alla fatturazione annuale invece che mensile?",
    "vorrei passare al piano business",
    "Ci servono altri 2 GB di spazio.",
    "Vorremmo aggiungere 3 utenti.",
    "Lo spazio è quasi pieno, come faccio ad aumentarlo?",
    "Si chiede l'attivazione di ulteriori 5 GB di spazio di archiviazione.",
    "passare da TEAM a BUSINESS, quanto costa?",
    "vorrei fare l'upgrade",
    "Mi serve più spazio sulla casella.",
    "Desideriamo acquistare un pacchetto di spazio aggiuntivo.",
    "aggiungete un utente x la mia collega",
    "vogliamo il piano superiore",
    "Preferiamo l'abbonamento annuale anziché mensile.",
    "Possiamo aggiungere un altro dominio?",
    "We'd like to switch from monthly to annual billing.",
    "Can we move to the yearly plan?",
    "Please upgrade us to BUSINESS.",
    "We need 5 more GB.",
    "Could you add two users to our account?",
    "I want to change from monthly to yearly payments.",
    "Is it possible to buy more storage space?",
    "We would like a bigger plan.",
    "please add one more user",
    "How can I increase the storage?",
    "We need extra space, the archive is almost full.",
    "Vorremmo passare al piano superiore.",
    "Vorrei più spazio di archiviazione.",
    "Quanto costa passare all'abbonamento annuale?",
    "possiamo avere 2 utenti in più?",
    "Ci serve un upgrade della casella.",
    "Mi servirebbero altri 5 giga.",
    "We would like to go from monthly to annual payment.",
    "Please add 2 GB of storage.",
    "Can we get a higher plan?",
    "We need more users on the account.",
    "Buongiorno, abbiamo bisogno di 2 caselle in più.",
    "Potete aumentarci lo spazio a 5 GB?",
    "Vorremmo il piano BUSINESS al posto del TEAM.",
    "mi fate passare a annuale?",
    "Please switch us to annual billing.",
    "We are running out of space, can you add storage?",
    "We'd like the yearly plan instead of paying every month.",
    "We need the Business plan from next month.",
    "We need another mailbox user for a new colleague.",
    "I would like to upgrade my plan." + DISCLAIMER_EN,
]

CARD_CHANGE = [
    "La mia carta è scaduta, come posso inserire quella nuova?",
    "carta scaduta, come la cambio?",
    "Vorrei sostituire la carta di credito associata al rinnovo automatico.",
    "Ho una nuova carta, come aggiorno i dati?",
    "non riesco a pagare con la carta scaduta",
    "Mi hanno bloccato la carta, devo metterne un'altra per il rinnovo.",
    "La banca mi ha mandato una carta nuova, dove la cambio?",
    "Potete aggiornare il metodo di pagamento? Ho cambiato carta.",
    "devo cambiare la carta x il rinnovo automatico, come faccio?",
    "vorrei usare un'altra carta per l'addebito",
    "La carta e scaduta a marzo",
    "Si chiede di modificare la carta di credito su cui addebitare il rinnovo.",
    "il pagamento con la carta non va a buon fine perche e scaduta",
    "Ho smarrito la carta, come inserisco quella nuova?",
    "cambio carta di credito",
    "My card expired, how do I put in a new one?",
    "I need to update my credit card details.",
    "How can I change the card for the automatic renewal?",
    "I got a new card from my bank, please update.",
    "The card on file is expired.",
    "I want to use a different card for the payment.",
    "Please replace the card used for auto renewal.",
    "My credit card has been blocked, how can I add another one?",
    "Could you change my payment card?",
    "the card is expire, how i can put the new card",
    "Come faccio a cambiare la carta di credito?",
    "Ho cambiato banca, vorrei aggiornare la carta.",
    "La carta che avete registrato è scaduta.",
    "carta nuova: come la inserisco?",
    "Vorrei modificare il metodo di pagamento e usare una nuova carta.",
    "The credit card on my account has expired.",
    "How do I update the card details?",
    "I have a new credit card, please tell me how to change it.",
    "My old card was stolen.",
    "Please change the card linked to the automatic renewal.",
    "Buongiorno, la carta associata è scaduta: come posso inserire i dati della nuova?",
    "Mi è arrivata la carta nuova, cosa devo fare?",
    "Ho dovuto bloccare la carta, come aggiorno il pagamento automatico?",
    "Hi, my card expires next month, how do I update it?",
    "My bank replaced my card, how can I change it on your site?",
    "card expired, what to do?",
    "La carta che avevate registrata è stata sostituita dalla banca.",
    "La carta su cui addebitate il rinnovo è stata clonata, come inserisco la nuova?",
    "I'd like the automatic renewal to use my new card.",
    "Vorrei mettere quella nuova per il rinnovo automatico.",
]

INVOICE_REQUEST = [
    "Potete inviarmi la fattura del rinnovo?",
    "Non ho ricevuto la fattura.",
    "mi mandate copia fattura x favore",
    "Avrei bisogno della fattura di marzo per il commercialista.",
    "Si chiede cortesemente l'invio della fattura relativa all'ordine ORD-2024-000123.",
    "Dove posso scaricare la fattura?",
    "la fattura nn mi e arrivata",
    "Mi serve la fattura del pagamento di ieri.",
    "Potreste rimandarmi le fatture del 2023?",
    "Ci occorre un duplicato della fattura n. 123.",
    "Quando arriva la fattura?",
    "Potete emettere la fattura per l'ordine ORD-2024-000123?",
    "Si sollecita l'emissione della fattura elettronica relativa all'ordine ORD-2024-000123, non ancora pervenuta.",
    "Could you send me the invoice?",
    "I didn't receive the invoice for my last payment.",
    "Where can I download my invoices?",
    "Please resend invoice 2024/123.",
    "I need a copy of last year's invoice for my accountant.",
    "Can I have the invoice for order ORD-2024-000123?",
    "The invoice never arrived.",
    "Kindly issue the invoice for the renewal.",
    "pls send invoice",
    "Potete mandarmi la fattura?",
    "Ci inviate copia della fattura n. 45?",
    "Non trovo la fattura dell'ultimo pagamento.",
    "Avrei bisogno di una copia della fattura.",
    "La fattura non è ancora arrivata.",
    "Please send me a copy of the invoice.",
    "I can't find my invoice.",
    "Could you resend the invoice please?",
    "Where is my invoice?",
    "We still haven't received the invoice.",
    "Buongiorno, il commercialista mi chiede la fattura del 2023, potete inviarla?",
    "Non mi è mai arrivata la fattura elettronica.",
    "Mi servirebbe la fattura quietanzata.",
    "Hi, could you email me the invoice for order ORD-2024-000123?" + DISCLAIMER_EN,
    "I still have not got the invoice.",
    "Please send invoice copy to accounting@example.com",
    "Our accountant needs the invoice for last year.",
    "For the audit we need copies of all the invoices of 2025.",
    "Please email the invoice to our accountant as well.",
    "Ci servirebbe la fattura entro fine mese.",
]

OTHER = [
    "Grazie, ricevuto.",
    "Non riesco ad accedere al portale.",
    "Come posso pagare?",
    "Non ho ancora pagato, lo faccio la prossima settimana.",
    "Il servizio non funziona da ieri.",
    "Chi è il mio referente commerciale?",
    "Ho ricevuto il vostro avviso di scadenza, ne parlo con il commercialista.",
    "Quando scade il mio abbonamento?",
    "Il rinnovo automatico è attivo?",
    "Potete richiamarmi?",
    "Mi sono dimenticato la password.",
    "Quali metodi di pagamento accettate?",
    "Vi ringrazio per la tempestiva risposta.",
    "Si resta in attesa di riscontro.",
    "Procederemo al pagamento appena ricevuta la fattura.",
    "Posso pagare con carta di credito?",
    "ok grazie",
    "Thanks, received.",
    "How can I pay?",
    "I haven't paid yet, will do next week.",
    "When does my subscription expire?",
    "I can't log in to the portal.",
    "Is auto-renewal active on my account?",
    "What payment methods do you accept?",
    "Who is my account manager?",
    "Thank you for the reminder.",
    "Buongiorno, vi ringrazio.",
    "Non ho capito cosa devo fare.",
    "Ho un problema con il dispositivo.",
    "Perché devo pagare di nuovo?",
    "Non ho ancora deciso se rinnovare.",
    "Quanto costa il rinnovo?",
    "Il mio collega vi scriverà per i dettagli.",
    "Hello, thanks for the info.",
    "I have not decided yet.",
    "What is the price of the renewal?",
    "My device is offline.",
    "Buongiorno, ho ricevuto la vostra mail ma non capisco di che servizio si tratti." + DISCLAIMER_IT,
    "Inviato da iPhone",
    "Hello, who are you? I never subscribed." + DISCLAIMER_EN,
    "Grazie, ci sentiamo la prossima settimana." + PA_SIGNATURE,
    "Scusate, potete richiamarmi al 333 1234567?",
    "Quando scade la garanzia del dispositivo?",
    "Is the price including VAT?",
    "Perchè mi avete addebitato due volte?",
    "Non ho ancora ricevuto il dispositivo.",
    "Grazie per l'avviso." + COMPANY_SIGNATURE,
    "Prima di decidere vorrei sapere quanto costa rinnovare per tre anni.",
    "How much would it cost to add one more user? Just asking for now.",
    "Il CIG è proprio necessario per un importo così basso?",
]

PHRASES: dict[str, list[str]] = {
    Intent.PA_BILLING_DETAILS: PA_BILLING_DETAILS,
    Intent.RENEWAL_REQUEST: RENEWAL_REQUEST,
    Intent.PAYMENT_NOTICE: PAYMENT_NOTICE,
    Intent.BILLING_UPDATE: BILLING_UPDATE,
    Intent.AUTORENEW_OFF: AUTORENEW_OFF,
    Intent.AUTORENEW_ON: AUTORENEW_ON,
    Intent.CANCELLATION: CANCELLATION,
    Intent.UPGRADE_REQUEST: UPGRADE_REQUEST,
    Intent.CARD_CHANGE: CARD_CHANGE,
    Intent.INVOICE_REQUEST: INVOICE_REQUEST,
    Intent.OTHER: OTHER,
}

# Messages that carry several requests: each must hit, and nothing else.
MULTI: list[tuple[str, frozenset[str]]] = [
    (
        "Rinnovate per un anno con bonifico; CIG Z213346E34, codice ufficio UFXK9T, username comune.esempio",
        frozenset({Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS}),
    ),
    (
        "Si chiede di voler procedere al rinnovo per l'anno 2025; CIG 8814006BD6, codice univoco ufficio UFXK9T.",
        frozenset({Intent.RENEWAL_REQUEST, Intent.PA_BILLING_DETAILS}),
    ),
    ("Renew for 2 years and switch on automatic renewal.", frozenset({Intent.RENEWAL_REQUEST, Intent.AUTORENEW_ON})),
    (
        "Rinnovate per due anni e attivate il rinnovo automatico sulla carta.",
        frozenset({Intent.RENEWAL_REQUEST, Intent.AUTORENEW_ON}),
    ),
    ("Ho fatto il bonifico, mi mandate la fattura?", frozenset({Intent.PAYMENT_NOTICE, Intent.INVOICE_REQUEST})),
    (
        "Vorrei rinnovare per 2 anni e passare al piano business.",
        frozenset({Intent.RENEWAL_REQUEST, Intent.UPGRADE_REQUEST}),
    ),
    (
        "Non voglio il rinnovo automatico: rinnovo io per un anno con bonifico.",
        frozenset({Intent.AUTORENEW_OFF, Intent.RENEWAL_REQUEST}),
    ),
    (
        "Carta scaduta, come inserisco la nuova? Inoltre intestate la fattura a Rossi Srl.",
        frozenset({Intent.CARD_CHANGE, Intent.BILLING_UPDATE}),
    ),
    (
        "Abbiamo pagato; d'ora in poi intestate le fatture a Rossi Srl P.IVA 01234560017",
        frozenset({Intent.PAYMENT_NOTICE, Intent.BILLING_UPDATE}),
    ),
    (
        "Please renew for one year and add two more users.",
        frozenset({Intent.RENEWAL_REQUEST, Intent.UPGRADE_REQUEST}),
    ),
    (
        "Paid today, ref 0306912345678901234567890IT. Please send me the invoice.",
        frozenset({Intent.PAYMENT_NOTICE, Intent.INVOICE_REQUEST}),
    ),
    (
        "Vi chiedo di emettere la fattura con i dati della mia azienda: Rossi Srl, P.IVA 01234560017",
        frozenset({Intent.BILLING_UPDATE, Intent.INVOICE_REQUEST}),
    ),
    (
        "We'd like to renew for 3 years; our VAT number has changed to 01234560017.",
        frozenset({Intent.RENEWAL_REQUEST, Intent.BILLING_UPDATE}),
    ),
    (
        "L'impianto nord non va rinnovato, potete chiudere il servizio. Rinnovate invece il sud per un anno.",
        frozenset({Intent.RENEWAL_REQUEST, Intent.CANCELLATION}),
    ),
    (
        "La carta è scaduta e non ho intenzione di metterne un'altra: togliete il rinnovo automatico e rinnovate.",
        frozenset({Intent.AUTORENEW_OFF, Intent.RENEWAL_REQUEST}),
    ),
    (
        "Abbiamo pagato l'ordine ORD-2024-000123; inviate la fattura al nostro codice ufficio UFXK9T.",
        frozenset({Intent.PAYMENT_NOTICE, Intent.PA_BILLING_DETAILS}),
    ),
]

# Words that look like an intent and are not: (text, the intent that must not hit).
NEAR_MISSES: list[tuple[str, str]] = [
    ("Non ho ancora pagato.", Intent.PAYMENT_NOTICE),
    ("non abbiamo ancora fatto il bonifico", Intent.PAYMENT_NOTICE),
    ("Come posso pagare?", Intent.PAYMENT_NOTICE),
    ("Pagheremo entro fine mese.", Intent.PAYMENT_NOTICE),
    ("I haven't made the payment yet.", Intent.PAYMENT_NOTICE),
    ("We will pay next week.", Intent.PAYMENT_NOTICE),
    ("Quanto devo pagare per il rinnovo?", Intent.PAYMENT_NOTICE),
    ("Non rinnovate, grazie.", Intent.RENEWAL_REQUEST),
    ("Non intendo rinnovare.", Intent.RENEWAL_REQUEST),
    ("Non vogliamo rinnovare il servizio.", Intent.RENEWAL_REQUEST),
    ("We do not want to renew.", Intent.RENEWAL_REQUEST),
    ("Vorrei disattivare il rinnovo automatico.", Intent.RENEWAL_REQUEST),
    ("Vorrei attivare il rinnovo automatico.", Intent.RENEWAL_REQUEST),
    ("I would like to enable automatic renewal.", Intent.RENEWAL_REQUEST),
    ("Non voglio il rinnovo automatico.", Intent.CANCELLATION),
    ("Non voglio rinnovare automaticamente.", Intent.CANCELLATION),
    ("I don't want to renew automatically.", Intent.CANCELLATION),
    ("Please cancel the automatic renewal.", Intent.CANCELLATION),
    ("Annullate il rinnovo automatico.", Intent.CANCELLATION),
    ("Vorrei annullare l'ordine ORD-2024-000123 e rifarlo per 2 anni.", Intent.AUTORENEW_OFF),
    ("Dati per la fatturazione elettronica: CIG Z213346E34, codice univoco ufficio UFXK9T.", Intent.BILLING_UPDATE),
    ("Fatturazione elettronica: codice univoco ufficio UFXK9T, C.F. 80012340586", Intent.BILLING_UPDATE),
    ("Vorrei passare alla fatturazione annuale.", Intent.BILLING_UPDATE),
    ("Posso pagare con carta di credito?", Intent.CARD_CHANGE),
    ("Pago con la carta, va bene?", Intent.CARD_CHANGE),
    ("Il rinnovo automatico è attivo?", Intent.AUTORENEW_ON),
    ("Is automatic renewal on?", Intent.AUTORENEW_ON),
    ("Vorrei rinnovare l'abbonamento annuale.", Intent.UPGRADE_REQUEST),
    ("Il nostro nuovo codice destinatario è M5UXCR1.", Intent.PA_BILLING_DETAILS),
    ("Codice univoco SDI per la fattura: M5UXCR1", Intent.PA_BILLING_DETAILS),
    ("La carta è la stessa con cui ho pagato l'ultima volta.", Intent.PAYMENT_NOTICE),
    ("Use the card we paid with last time.", Intent.PAYMENT_NOTICE),
    ("You switched off the auto renewal on my account, please turn it back on.", Intent.AUTORENEW_OFF),
    ("La carta è scaduta ma non ho intenzione di metterne un'altra.", Intent.CARD_CHANGE),
    ("Disattivate il rinnovo automatico, deciderò io se rinnovare.", Intent.RENEWAL_REQUEST),
    ("Please turn off automatic renewal, I will renew manually.", Intent.RENEWAL_REQUEST),
    ("Fattura come sempre intestata allo studio, grazie.", Intent.BILLING_UPDATE),
    ("Invoice the extra users to the company as usual.", Intent.BILLING_UPDATE),
    ("Vi preghiamo di non emettere fatture per il prossimo periodo.", Intent.INVOICE_REQUEST),
    ("Please send the invoice to our office code XO5CV0.", Intent.INVOICE_REQUEST),
    ("Vi comunico la nuova PEC a cui inviare le fatture: studio@pec.it", Intent.INVOICE_REQUEST),
    ("Il codice univoco ufficio per l'invio della fattura elettronica è UFXK9T.", Intent.INVOICE_REQUEST),
    ("Before sending you our codes: do you issue invoices under split payment?", Intent.INVOICE_REQUEST),
    ("Il codice fiscale dell'Ente da riportare in fattura è 80012340586, CIG Z213346E34.", Intent.BILLING_UPDATE),
]


def hits(text: str, customer_kind: str | None = None, rules: RuleSet = RULES) -> set[str]:
    """The intents whose rules hit ``text``, with the fields the extractor finds in it."""
    extraction = extract_fields(text)
    fields = frozenset(extraction.fields) | {v.field for v in extraction.invalid}
    decision = evaluate(rules, Facts("human", text, fields=fields, customer_kind=customer_kind))
    return {t.intent for t in decision.trace if t.hit}


def hits_any_kind(text: str) -> set[str]:
    """The intents hit for some customer kind (matched or not): what a rule might ever give here."""
    return set().union(*(hits(text, kind) for kind in (None, *CUSTOMER_KINDS)))


CASES = [(intent, text) for intent, texts in PHRASES.items() for text in texts]


def test_every_intent_has_its_phrases() -> None:
    assert set(PHRASES) == set(INTENTS)
    assert all(len(texts) >= 15 for texts in PHRASES.values())
    assert len({text for _, text in CASES}) == len(CASES)  # no phrase in two tables


@pytest.mark.parametrize(("intent", "text"), CASES)
def test_phrase_hits_its_intent(intent: str, text: str) -> None:
    found = hits(text)
    if intent == Intent.OTHER:
        assert found == set()
    else:
        assert intent in found


@pytest.mark.parametrize(("intent", "text"), CASES)
def test_phrase_hits_no_other_intent(intent: str, text: str) -> None:
    assert hits_any_kind(text) - {intent} == set()


@pytest.mark.parametrize("text", PA_WORDS)
def test_pa_words_need_a_public_administration(text: str) -> None:
    assert hits(text, "pa") == {Intent.PA_BILLING_DETAILS}
    assert hits(text, "private") == set()


@pytest.mark.parametrize(("text", "intents"), MULTI)
def test_several_requests_each_hit(text: str, intents: frozenset[str]) -> None:
    assert hits(text) == intents
    assert hits_any_kind(text) == intents


@pytest.mark.parametrize(("text", "intent"), NEAR_MISSES)
def test_near_misses(text: str, intent: str) -> None:
    assert intent not in hits_any_kind(text)
