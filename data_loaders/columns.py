"""The data contract: canonical columns of each file kind, their types and EN/FR header synonyms.

Headers are compared after ``normalize_header``: accents, case, spaces and punctuation removed,
so ``customerID``, ``Customer ID`` and ``customer_id`` are one; a synonym written ``n° client``
also matches ``No client``, ``Num client`` and ``Numéro client``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


def normalize_header(text: str) -> str:
    """Lower-case ASCII letters and digits only: ``Date d'échéance`` -> ``datedecheance``."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def normalize_value(text: str) -> str:
    """Like ``normalize_header`` but keeps word boundaries as single underscores."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class Column:
    """One canonical column: its type decides how values are parsed and checked."""

    name: str
    type: str  # id, text, money, date, bool, int, month, score, currency, code, owner, label:*
    required: bool = False
    synonyms: tuple[str, ...] = ()
    default: str | None = None

    def header_forms(self) -> set[str]:
        forms = {normalize_header(self.name)}
        for s in self.synonyms:
            if "n° " in s:  # the many ways French ERPs write "number"
                for prefix in ("n° ", "no ", "n ", "num ", "numero ", "nº "):
                    forms.add(normalize_header(s.replace("n° ", prefix)))
            forms.add(normalize_header(s))
        return forms


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    id_column: str | None  # the natural key, when the file has one
    description: str = ""
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CUSTOMER_ID = Column("customer_id", "id", True, (
    "customer id", "customer", "customer number", "customer no", "customer code", "client id",
    "client", "code client", "n° client", "id client", "compte client", "account number",
    "account", "debtor", "debiteur", "code tiers", "tiers", "numero de compte",
))
INVOICE_ID = Column("invoice_id", "id", True, (
    "invoice id", "invoice", "invoice number", "invoicenumber", "invoice no", "invoice #",
    "invoice ref", "document number", "doc number", "n° facture", "n° de facture", "facture",
    "ref facture", "reference facture", "n° piece", "piece", "bill number",
))
NAME = Column("name", "text", False, (
    "customer name", "client name", "nom", "nom client", "nom du client", "raison sociale",
    "company", "company name", "societe", "denomination",
))
SEGMENT = Column("segment", "text", False, (
    "customer segment", "segment client", "categorie client", "customer type", "type client",
    "type de client", "clientele",
))
COLLECTOR = Column("collector", "text", False, (
    "credit controller", "collector name", "agent", "recouvreur", "charge de recouvrement",
    "gestionnaire", "gestionnaire recouvrement", "gestionnaire credit", "credit manager",
))
CHANNEL_SYN = ("canal", "canal de relance", "type de relance", "type d'action", "action type",
               "type", "media")
AMOUNT_SYN = (
    "amount", "invoice amount", "invoiceamount", "amount due", "total", "total amount",
    "gross amount", "amount incl tax", "montant", "montant ttc", "montant facture",
    "montant de la facture", "total ttc", "montant du",
)
ISSUE_DATE = Column("issue_date", "date", True, (
    "invoice date", "invoicedate", "date facture", "date de facture", "date d'emission",
    "date emission", "date de facturation", "document date", "posting date", "date piece",
    "bill date", "issued", "issued on", "date",
))
DUE_DATE = Column("due_date", "date", True, (
    "due date", "duedate", "date d'echeance", "echeance", "date echeance", "payment due date",
    "net due date", "due", "due on",
))

INVOICE_COLUMNS = (
    INVOICE_ID, CUSTOMER_ID, ISSUE_DATE, DUE_DATE,
    Column("amount", "money", True, AMOUNT_SYN),
    Column("currency", "currency", False, ("devise", "monnaie", "curr", "currency code", "ccy")),
    Column("disputed", "bool", False, (
        "dispute", "in dispute", "litige", "en litige", "conteste", "litigieux", "is disputed",
    )),
    Column("delivery_channel", "label:delivery_channel", False, (
        "paperlessbill", "paperless bill", "mode d'envoi", "canal d'envoi", "envoi",
        "billing channel", "mode de transmission", "invoice channel", "canal de facturation",
    )),
)

KINDS: dict[str, Kind] = {
    "customers": Kind("customers", (
        CUSTOMER_ID, NAME, SEGMENT,
        Column("region", "text", False, ("region", "zone", "secteur", "territory", "area")),
        Column("country", "text", False, ("pays", "country code", "countrycode", "code pays")),
        Column("industry", "text", False, (
            "secteur d'activite", "activite", "sector", "naf", "code naf", "branche")),
        Column("risk_class", "text", False, (
            "risk", "risk rating", "risk class", "classe de risque", "risque", "cotation",
            "scoring", "note de risque")),
        Column("payment_terms_days", "int", False, (
            "payment terms", "terms", "terms days", "delai de paiement", "conditions de paiement",
            "delai paiement", "delai jours", "echeance jours")),
        COLLECTOR,
        Column("preferred_channel", "label:channel", False, (
            "canal prefere", "canal de relance prefere", "contact channel")),
    ), "customer_id", "One row per customer: who they are and who follows them."),
    "invoices": Kind("invoices", INVOICE_COLUMNS, "invoice_id",
                     "One row per invoice."),
    "ledger": Kind("ledger", INVOICE_COLUMNS + (
        Column("paid_date", "date", False, (
            "paid date", "settled date", "settleddate", "settlement date", "date de reglement",
            "date reglement", "date de paiement", "date paiement", "payment date", "cleared date",
            "date d'encaissement", "date encaissement", "paid on", "clearing date")),
        Column("paid_amount", "money", False, (
            "amount paid", "settled amount", "montant regle", "montant paye", "montant encaisse",
            "reglement", "paid")),
        NAME, SEGMENT,
        Column("region", "text", False, ("zone", "secteur", "territory", "area")),
        Column("country", "text", False, ("pays", "country code", "countrycode", "code pays")),
        COLLECTOR,
    ), "invoice_id", "One row per invoice with its settlement; customers come from the rows."),
    "payments": Kind("payments", (
        Column("payment_id", "id", False, (
            "payment number", "payment ref", "payment reference", "transaction id",
            "transaction", "n° paiement", "reference paiement", "id paiement", "n° reglement",
            "reference reglement")),
        INVOICE_ID,
        Column("payment_date", "date", True, (
            "date de paiement", "date paiement", "date de reglement", "date reglement",
            "value date", "date valeur", "date d'encaissement", "transaction date", "paid on",
            "date")),
        Column("amount", "money", True, AMOUNT_SYN + (
            "payment amount", "montant paye", "montant regle", "montant encaisse",
            "paid amount")),
        Column("method", "label:method", False, (
            "payment method", "mode de paiement", "moyen de paiement", "mode de reglement",
            "payment type", "payment path")),
        Column("status", "status", False, (
            "statut", "etat", "payment status", "statut paiement", "statut du paiement"),
            default="completed"),
    ), "payment_id", "One row per payment attempt; only completed ones move money."),
    "actions": Kind("actions", (
        Column("action_id", "id", False, ("id action", "activity id", "n° action", "reminder id")),
        CUSTOMER_ID,
        Column("invoice_id", "id", False, INVOICE_ID.synonyms),
        Column("action_date", "date", True, (
            "date", "date action", "date de relance", "date relance", "activity date",
            "reminder date", "date de l'action")),
        Column("channel", "label:channel", True, CHANNEL_SYN),
        Column("outcome", "label:outcome", False, ("resultat", "result", "issue", "reponse")),
        Column("promised_date", "date", False, (
            "promise date", "date promise", "date de promesse", "promesse date",
            "ptp date", "date promesse")),
        Column("promised_amount", "money0", False, (
            "montant promis", "promise amount", "ptp amount")),
        Column("cost", "money0", False, ("cout", "cost eur", "cout eur", "frais"), default="0"),
        COLLECTOR,
    ), "action_id", "One row per collection action (reminder, call, letter...) and its cost."),
    "reasons": Kind("reasons", (
        INVOICE_ID,
        Column("reason", "code", True, (
            "late reason", "motif", "motif de retard", "cause", "raison", "reason code",
            "code motif", "cause du retard", "motif retard", "late payment reason")),
        Column("owner", "owner", False, (
            "responsable", "process owner", "proprietaire", "service responsable", "service")),
        Column("recorded_date", "date", False, (
            "date enregistrement", "date de saisie", "date", "recorded", "date constat")),
        Column("resolved_date", "date", False, (
            "date de resolution", "date resolution", "resolved", "resolved on")),
        Column("comment", "text", False, (
            "commentaire", "remarque", "note", "notes", "comments")),
    ), None, "One row per late-payment cause found on an invoice."),
    "surveys": Kind("surveys", (
        Column("response_id", "id", False, (
            "id reponse", "respondent id", "n° reponse", "survey response id")),
        CUSTOMER_ID,
        Column("response_date", "date", True, (
            "date", "date de reponse", "survey date", "date enquete", "answered on",
            "date reponse")),
        Column("survey_type", "survey_type", True, (
            "type", "type d'enquete", "type enquete", "questionnaire", "metric", "survey")),
        Column("score", "score", True, (
            "note", "rating", "satisfaction score", "evaluation", "score client")),
        Column("touchpoint", "text", False, (
            "point de contact", "moment", "interaction", "etape", "touch point")),
        Column("comment", "text", False, (
            "verbatim", "commentaire", "feedback", "comments", "remarque")),
    ), "response_id", "One row per survey answer (CSAT 1-5, NPS 0-10, CES 1-7)."),
    "costs": Kind("costs", (
        Column("month", "month", True, ("mois", "periode", "period")),
        Column("category", "label:category", True, (
            "categorie", "type de cout", "nature", "cost type", "poste")),
        Column("amount", "money0", True, ("montant", "cout", "cost", "amount eur")),
        Column("channel", "label:channel", False, ("canal",)),
        Column("segment", "text", False, ("segment client",)),
    ), None, "One row per month and cost category of the collection function."),
}

# Recognised values of descriptive columns (EN and FR forms, compared with normalize_value).
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery_channel": {
        "paper": ("papier", "courrier", "post", "postal", "mail_paper"),
        "email": ("e_mail", "courriel", "mail", "pdf", "pdf_email"),
        "portal": ("portail", "plateforme", "chorus", "chorus_pro", "web", "platform"),
        "edi": ("echange_de_donnees_informatise", "electronic_data_interchange"),
    },
    "channel": {
        "email": ("e_mail", "courriel", "mail", "email_reminder", "relance_email"),
        "phone": ("telephone", "call", "appel", "tel", "phone_call", "appel_telephonique"),
        "sms": ("text", "texto", "text_message"),
        "letter": ("lettre", "courrier", "postal_letter", "lettre_de_relance"),
        "ivr": ("svi", "serveur_vocal", "robocall", "automated_call", "appel_automatique"),
        "portal": ("portail", "web", "self_service", "libre_service"),
        "formal_notice": ("mise_en_demeure", "med", "notice", "final_notice", "demand_letter"),
        "agency": ("agence", "agence_de_recouvrement", "collection_agency", "recouvrement_externe"),
        "legal": ("juridique", "contentieux", "injonction_de_payer", "legal_action", "tribunal",
                  "huissier"),
    },
    "outcome": {
        "promise_to_pay": ("promise", "ptp", "promesse", "promesse_de_paiement"),
        "paid": ("paye", "regle", "payment", "paiement"),
        "no_answer": ("no_response", "pas_de_reponse", "sans_reponse", "injoignable",
                      "unreachable", "voicemail", "messagerie"),
        "dispute": ("litige", "contestation", "disputed", "conteste"),
        "refused": ("refus", "refuse", "refusal"),
        "other": ("autre",),
    },
    "method": {
        "transfer": ("virement", "wire", "bank_transfer", "sepa_transfer", "virement_sepa",
                     "sepa_credit_transfer", "bacs"),
        "direct_debit": ("prelevement", "sepa_direct_debit", "sepa_dd", "prelevement_sepa", "dd"),
        "card": ("carte", "carte_bancaire", "cb", "credit_card", "card_payment"),
        "check": ("cheque", "cheques"),
        "cash": ("especes",),
        "portal": ("portail", "online", "en_ligne", "web"),
    },
    "category": {
        "staff": ("personnel", "salaires", "salaries", "payroll", "masse_salariale"),
        "agency": ("agence", "recouvrement_externe", "agence_de_recouvrement"),
        "tools": ("outils", "logiciel", "software", "licences", "licenses", "saas"),
        "postage": ("affranchissement", "frais_postaux", "courrier", "timbres", "mail"),
        "legal": ("juridique", "contentieux", "frais_juridiques", "avocat", "huissier"),
        "other": ("autre", "divers", "misc"),
    },
}

STATUS = {
    "completed": ("complete", "ok", "paid", "success", "successful", "done", "cleared",
                  "settled", "termine", "reussi", "effectue", "paye", "valide", "encaisse",
                  "complet"),
    "failed": ("fail", "failure", "rejected", "declined", "bounced", "returned", "echoue",
               "echec", "rejete", "refuse", "impaye"),
    "incomplete": ("incomplet", "abandoned", "abandonne", "interrompu", "partial_attempt"),
    "input_error": ("input_error", "error", "erreur", "erreur_de_saisie", "invalid",
                    "wrong_reference", "mauvaise_reference", "saisie_erronee"),
}

SURVEY_TYPES = {
    "csat": ("satisfaction", "customer_satisfaction", "csat_score"),
    "nps": ("net_promoter_score", "promoter", "recommandation"),
    "ces": ("customer_effort_score", "effort", "effort_client"),
}
SCORE_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}

OWNER_ALIASES = {
    "Billing (ADV)": ("billing", "adv", "facturation", "facturation_adv", "billing_adv",
                      "administration_des_ventes"),
    "Sales": ("commercial", "ventes", "vente", "sales_team", "commerce"),
    "Logistics": ("logistique", "supply_chain", "livraison", "delivery"),
    "Accounting": ("comptabilite", "compta", "accounts", "finance_comptabilite"),
    "Customer": ("client", "customer_side", "debtor"),
    "Credit & Collections": ("credit_collections", "credit", "collections", "recouvrement",
                             "credit_recouvrement", "credit_management", "credit_and_collections"),
}


def lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Map each normalised form (the code itself included) to its canonical code."""
    out: dict[str, str] = {}
    for code, aliases in table.items():
        out[normalize_value(code)] = code
        for a in aliases:
            out[normalize_value(a)] = code
    return out


# Headers of the French templates (each must match its column; a test checks it).
FR_HEADERS = {
    "customer_id": "Code client", "name": "Raison sociale", "segment": "Segment client",
    "region": "Région", "country": "Pays", "industry": "Secteur d'activité",
    "risk_class": "Classe de risque", "payment_terms_days": "Délai de paiement",
    "collector": "Chargé de recouvrement", "preferred_channel": "Canal préféré",
    "invoice_id": "N° facture", "issue_date": "Date facture", "due_date": "Date d'échéance",
    "amount": "Montant TTC", "currency": "Devise", "disputed": "Litige",
    "delivery_channel": "Mode d'envoi", "paid_date": "Date de règlement",
    "paid_amount": "Montant réglé", "payment_id": "N° règlement",
    "payment_date": "Date de paiement", "method": "Mode de règlement", "status": "Statut",
    "action_id": "N° action", "action_date": "Date de relance", "channel": "Canal",
    "outcome": "Résultat", "promised_date": "Date promise", "promised_amount": "Montant promis",
    "cost": "Coût", "reason": "Motif de retard", "owner": "Responsable",
    "recorded_date": "Date de saisie", "resolved_date": "Date de résolution",
    "comment": "Commentaire", "response_id": "ID réponse", "response_date": "Date de réponse",
    "survey_type": "Type d'enquête", "score": "Note", "touchpoint": "Point de contact",
    "month": "Mois", "category": "Catégorie",
}


def template_headers(kind: str, lang: str) -> list[str]:
    """The header row of a blank file of ``kind``, in English (canonical) or French."""
    cols = [c.name for c in KINDS[kind].columns]
    return cols if lang == "en" else [FR_HEADERS[c] for c in cols]
