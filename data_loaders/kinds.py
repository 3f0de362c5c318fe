"""The data contract: each file kind declared once.

A ``Kind`` holds its canonical columns (type, required, EN/FR header synonyms, default), how its
rows are keyed, the rules across the columns of one row, the tables it writes and how it merges.
The importer, the command line's kind list, the Data page and its templates, the README table
and the fuzz tests all read ``KINDS``. Adding a kind: its declaration here, its model in
``dashboard/storage/models.py`` and a migration.

Headers are compared after ``normalize_header``: accents, case, spaces and punctuation removed,
so ``customerID``, ``Customer ID`` and ``customer_id`` are one; a synonym written ``n° client``
also matches ``No client``, ``Num client`` and ``Numéro client``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from data_loaders.row_rules import (
    RowRule,
    due_before_issue,
    paid_amount_needs_a_date,
    paid_needs_a_date,
    score_in_range,
)

UNASSIGNED = "Unassigned"  # the segment of a customer nobody classified


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


# Words of a dunning step that name its channel (checked in this order: "lettre de mise en
# demeure" is a formal notice, not a letter).
STEP_CHANNELS = (
    ("formal_notice", ("mise_en_demeure", "formal_notice", "final_notice", "demand_letter")),
    ("legal", ("injonction", "huissier", "legal", "tribunal", "contentieux")),
    ("agency", ("agency", "agence", "recouvrement_externe")),
    ("sms", ("sms", "texto", "text_message")),
    ("phone", ("phone", "call", "appel", "telephone")),
    ("email", ("email", "e_mail", "courriel", "mail")),
    ("letter", ("letter", "lettre", "courrier", "postal")),
)


def what_the_step_says(df: pd.DataFrame, headers: dict[str, str], report: object) -> None:
    """A dunning log's step names its outcome and channel where the file has no such column:
    "Arrangement Agreed" is a payment plan agreed, "Mise en demeure" a formal notice."""
    if "step" not in df or df["step"].isna().all():
        return
    import pandas as pd

    step = df["step"].astype(object).where(df["step"].notna(), "").map(normalize_value)
    if "outcome" not in headers:  # nor --set: then the outcome is filled, not None
        outcome = step.map(lookup(LABELS["outcome"]))
        df["outcome"] = df["outcome"].where(df["outcome"].notna() | outcome.isna(), outcome)
    if "channel" not in headers:
        channel = pd.Series(None, index=df.index, dtype=object)
        for code, words in reversed(STEP_CHANNELS):  # the first listed wins
            hit = step.map(lambda v, w=words: any(f"_{y}_" in f"_{v}_" for y in w))
            channel = channel.where(~hit, code)
        unknown = df["channel"] == "unknown"
        df["channel"] = df["channel"].where(~unknown | channel.isna(), channel)


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its type decides how values are parsed and checked."""

    name: str
    type: str  # id, text, money, date, bool, int, month, score, currency, code, owner, label:*,
    # time:<date column> (a time of day, else the one written after that date)
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
class Key:
    """How a row is keyed (re-imports replace rows by key): its ``columns`` joined with "|";
    with ``content_when_missing``, a row whose id is empty is keyed by its values instead."""

    columns: tuple[str, ...]
    content_when_missing: bool = False
    shown_as: str | None = None  # the column a "same key, different values" problem names

    @property
    def id_column(self) -> str | None:
        """The natural id, when the key is one column of the file."""
        return self.columns[0] if len(self.columns) == 1 else None


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[ColumnSpec, ...]
    description: str
    tables: tuple[str, ...]  # the tables it writes, in merge order (the first is its own)
    key: Key
    row_rules: tuple[RowRule, ...] = ()
    fill: dict[str, str] = field(default_factory=dict)  # column -> value where empty
    refers_to_invoices: bool = False  # each row's invoice must exist
    creates_customers: bool = True  # unknown customers are created (segment Unassigned)
    settles: bool = False  # a ledger: paid dates become payments, customers' attributes kept
    whole_file: bool = False  # read whole before its rows exist (the FEC: lettering matches)

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


# canonical FEC column -> the forms seen in exports (compared after normalize_header)
FEC_COLUMNS = {
    "JournalCode": ("journalcode", "codejournal"),
    "JournalLib": ("journallib", "journallibelle", "libellejournal"),
    "EcritureNum": ("ecriturenum", "numeroecriture", "numecriture"),
    "EcritureDate": ("ecrituredate", "dateecriture"),
    "CompteNum": ("comptenum", "numerocompte", "numcompte"),
    "CompteLib": ("comptelib", "comptelibelle", "libellecompte"),
    "CompAuxNum": ("compauxnum", "compteauxnum", "numerocompteauxiliaire"),
    "CompAuxLib": ("compauxlib", "compauxlibelle", "libellecompteauxiliaire"),
    "PieceRef": ("pieceref", "referencepiece", "refpiece"),
    "PieceDate": ("piecedate", "datepiece"),
    "EcritureLib": ("ecriturelib", "ecriturelibelle", "libelleecriture"),
    "Debit": ("debit", "montantdebit"),
    "Credit": ("credit", "montantcredit"),
    "Montant": ("montant",),
    "Sens": ("sens",),
    "EcritureLet": ("ecriturelet", "ecriturelettrage", "lettrage", "codelettrage"),
    "DateLet": ("datelet", "datelettrage"),
    "ValidDate": ("validdate", "datevalidation"),
    "Montantdevise": ("montantdevise",),
    "Idevise": ("idevise", "devise"),
}
FEC_REQUIRED = ("JournalCode", "EcritureNum", "EcritureDate", "CompteNum", "PieceRef")


CUSTOMER_ID = ColumnSpec(
    "customer_id",
    "id",
    True,
    (
        "customer id",
        "customer",
        "customer number",
        "customer no",
        "customer code",
        "client id",
        "client",
        "code client",
        "n° client",
        "id client",
        "compte client",
        "account number",
        "account",
        "debtor",
        "debiteur",
        "code tiers",
        "tiers",
        "numero de compte",
        "user id",
        "user",
        "respondent id",
        "contact id",
        "company id",
        "account id",
        "id compte",
    ),
)
INVOICE_ID = ColumnSpec(
    "invoice_id",
    "id",
    True,
    (
        "invoice id",
        "invoice",
        "invoice number",
        "invoicenumber",
        "invoice no",
        "invoice #",
        "invoice ref",
        "document number",
        "doc number",
        "n° facture",
        "n° de facture",
        "facture",
        "ref facture",
        "reference facture",
        "n° piece",
        "piece",
        "bill number",
        "id facture",
        "facture id",
        "numero facture",
    ),
)
NAME = ColumnSpec(
    "name",
    "text",
    False,
    (
        "customer name",
        "client name",
        "nom",
        "nom client",
        "nom du client",
        "raison sociale",
        "company",
        "company name",
        "societe",
        "denomination",
    ),
)
SEGMENT = ColumnSpec(
    "segment",
    "text",
    False,
    (
        "customer segment",
        "segment client",
        "categorie client",
        "clientele",
    ),
)
COLLECTOR = ColumnSpec(
    "collector",
    "text",
    False,
    (
        "credit controller",
        "collector name",
        "agent",
        "recouvreur",
        "charge de recouvrement",
        "gestionnaire",
        "gestionnaire recouvrement",
        "gestionnaire credit",
        "credit manager",
    ),
)
CHANNEL_SYN = (
    "canal",
    "canal de relance",
    "type de relance",
    "type d'action",
    "action type",
    "type",
    "media",
)
AMOUNT_SYN = (
    "amount",
    "invoice amount",
    "invoiceamount",
    "amount due",
    "total",
    "total amount",
    "gross amount",
    "amount incl tax",
    "montant",
    "montant ttc",
    "montant facture",
    "montant de la facture",
    "total ttc",
    "montant du",
    "order amount",
    "line amount",
    "montant ligne",
    "montant de la ligne",
)
ISSUE_DATE = ColumnSpec(
    "issue_date",
    "date",
    True,
    (
        "invoice date",
        "invoicedate",
        "date facture",
        "date de facture",
        "date d'emission",
        "date emission",
        "date de facturation",
        "document date",
        "posting date",
        "post date",
        "invoice post date",
        "date de comptabilisation",
        "date piece",
        "bill date",
        "issued",
        "issued on",
        "date",
    ),
)
DUE_DATE = ColumnSpec(
    "due_date",
    "date",
    True,
    (
        "due date",
        "duedate",
        "date d'echeance",
        "echeance",
        "date echeance",
        "payment due date",
        "net due date",
        "due",
        "due on",
    ),
)

INVOICE_COLUMNS = (
    INVOICE_ID,
    CUSTOMER_ID,
    ISSUE_DATE,
    DUE_DATE,
    ColumnSpec("amount", "money", True, AMOUNT_SYN),
    ColumnSpec(
        "currency", "currency", False, ("devise", "monnaie", "curr", "currency code", "ccy")
    ),
    ColumnSpec(
        "disputed",
        "bool",
        False,
        (
            "dispute",
            "in dispute",
            "litige",
            "en litige",
            "conteste",
            "litigieux",
            "is disputed",
        ),
    ),
    ColumnSpec(
        "delivery_channel",
        "label:delivery_channel",
        False,
        (
            "paperlessbill",
            "paperless bill",
            "mode d'envoi",
            "canal d'envoi",
            "envoi",
            "billing channel",
            "mode de transmission",
            "invoice channel",
            "canal de facturation",
        ),
    ),
)

KINDS: dict[str, Kind] = {
    "customers": Kind(
        "customers",
        (
            CUSTOMER_ID,
            NAME,
            SEGMENT,
            ColumnSpec("region", "text", False, ("region", "zone", "secteur", "territory", "area")),
            ColumnSpec(
                "country", "text", False, ("pays", "country code", "countrycode", "code pays")
            ),
            ColumnSpec(
                "industry",
                "text",
                False,
                ("secteur d'activite", "activite", "sector", "naf", "code naf", "branche"),
            ),
            ColumnSpec(
                "risk_class",
                "text",
                False,
                (
                    "risk",
                    "risk rating",
                    "risk class",
                    "classe de risque",
                    "risque",
                    "cotation",
                    "scoring",
                    "note de risque",
                ),
            ),
            ColumnSpec(
                "payment_terms_days",
                "int",
                False,
                (
                    "payment terms",
                    "terms",
                    "terms days",
                    "delai de paiement",
                    "conditions de paiement",
                    "delai paiement",
                    "delai jours",
                    "echeance jours",
                ),
            ),
            COLLECTOR,
            ColumnSpec(
                "preferred_channel",
                "label:channel",
                False,
                ("canal prefere", "canal de relance prefere", "contact channel"),
            ),
            ColumnSpec(
                "customer_type",
                "label:customer_type",
                False,
                ("customer type", "type client", "type de client", "client type", "b2b b2c"),
            ),
            ColumnSpec(
                "credit_limit",
                "money0",
                False,
                ("credit limit", "limite de credit", "encours autorise", "plafond", "encours max"),
            ),
        ),
        "One row per customer: who they are and who follows them.",
        tables=("customers",),
        key=Key(("customer_id",)),
        fill={"segment": UNASSIGNED},
        creates_customers=False,
    ),
    "invoices": Kind(
        "invoices",
        INVOICE_COLUMNS + (NAME,),  # a company-name column names the customers it creates
        "One row per invoice.",
        tables=("invoices",),
        key=Key(("invoice_id",)),
        row_rules=(due_before_issue,),
    ),
    "ledger": Kind(
        "ledger",
        INVOICE_COLUMNS
        + (
            ColumnSpec(
                "paid_date",
                "date",
                False,
                (
                    "paid date",
                    "settled date",
                    "settleddate",
                    "settlement date",
                    "date de reglement",
                    "date reglement",
                    "date de paiement",
                    "date paiement",
                    "payment date",
                    "cleared date",
                    "date d'encaissement",
                    "date encaissement",
                    "paid on",
                    "clearing date",
                    "collection date",
                    "date de recouvrement",
                    "write off date",
                ),
            ),
            ColumnSpec(
                "paid_amount",
                "money",
                False,
                (
                    "amount paid",
                    "settled amount",
                    "montant regle",
                    "montant paye",
                    "montant encaisse",
                    "reglement",
                    "paid",
                ),
            ),
            ColumnSpec(
                "status",
                "ledger_status",
                False,
                (
                    "collection status",
                    "payment status",
                    "invoice status",
                    "statut",
                    "statut paiement",
                    "statut de paiement",
                    "statut facture",
                    "etat",
                    "etat de la facture",
                ),
            ),
            NAME,
            SEGMENT,
            ColumnSpec("region", "text", False, ("zone", "secteur", "territory", "area")),
            ColumnSpec(
                "country", "text", False, ("pays", "country code", "countrycode", "code pays")
            ),
            COLLECTOR,
        ),
        "One row per invoice with its settlement; customers come from the rows.",
        tables=("invoices", "payments"),
        key=Key(("invoice_id",)),
        row_rules=(paid_amount_needs_a_date, paid_needs_a_date, due_before_issue),
        settles=True,
    ),
    "payments": Kind(
        "payments",
        (
            ColumnSpec(
                "payment_id",
                "id",
                False,
                (
                    "payment number",
                    "payment ref",
                    "payment reference",
                    "transaction id",
                    "transaction",
                    "n° paiement",
                    "reference paiement",
                    "id paiement",
                    "n° reglement",
                    "reference reglement",
                ),
            ),
            INVOICE_ID,
            ColumnSpec(
                "payment_date",
                "date",
                True,
                (
                    "date de paiement",
                    "date paiement",
                    "date de reglement",
                    "date reglement",
                    "value date",
                    "date valeur",
                    "date d'encaissement",
                    "transaction date",
                    "paid on",
                    "date",
                ),
            ),
            ColumnSpec(
                "amount",
                "money",
                True,
                AMOUNT_SYN
                + (
                    "payment amount",
                    "montant paye",
                    "montant regle",
                    "montant encaisse",
                    "paid amount",
                ),
            ),
            ColumnSpec(
                "method",
                "label:method",
                False,
                (
                    "payment method",
                    "mode de paiement",
                    "moyen de paiement",
                    "mode de reglement",
                    "payment type",
                    "payment path",
                ),
            ),
            ColumnSpec(
                "status",
                "status",
                False,
                ("statut", "etat", "payment status", "statut paiement", "statut du paiement"),
                default="completed",
            ),
            ColumnSpec(
                "currency",
                "currency",
                False,
                ("devise", "monnaie", "curr", "currency code", "ccy"),
            ),
        ),
        "One row per payment attempt; only completed ones move money.",
        tables=("payments",),
        key=Key(("payment_id",), content_when_missing=True),
        refers_to_invoices=True,
    ),
    "actions": Kind(
        "actions",
        (
            ColumnSpec(
                "action_id", "id", False, ("id action", "activity id", "n° action", "reminder id")
            ),
            CUSTOMER_ID,
            ColumnSpec("invoice_id", "id", False, INVOICE_ID.synonyms),
            ColumnSpec(
                "action_date",
                "date",
                True,
                (
                    "date",
                    "date action",
                    "date de relance",
                    "date relance",
                    "activity date",
                    "reminder date",
                    "date de l'action",
                ),
            ),
            ColumnSpec(
                "action_time",
                "time:action_date",  # else the time written after the date, if any
                False,
                (
                    "time",
                    "heure",
                    "heure de relance",
                    "heure relance",
                    "heure de l'action",
                    "heure d'appel",
                    "action time",
                    "activity time",
                    "reminder time",
                    "call time",
                    "sent at",
                    "envoye a",
                ),
            ),
            ColumnSpec("channel", "label:channel", False, CHANNEL_SYN, default="unknown"),
            ColumnSpec(
                "step",
                "text",
                False,
                (
                    "action",
                    "dunning step",
                    "dunning level",
                    "niveau de relance",
                    "etape de relance",
                    "relance",
                    "stage",
                    "action taken",
                    "action name",
                ),
            ),
            ColumnSpec(
                "outcome", "label:outcome", False, ("resultat", "result", "issue", "reponse")
            ),
            ColumnSpec(
                "promised_date",
                "date",
                False,
                (
                    "promise date",
                    "date promise",
                    "date de promesse",
                    "promesse date",
                    "ptp date",
                    "date promesse",
                ),
            ),
            ColumnSpec(
                "promised_amount",
                "money0",
                False,
                ("montant promis", "promise amount", "ptp amount"),
            ),
            ColumnSpec(
                "cost", "money0", False, ("cout", "cost eur", "cout eur", "frais"), default="0"
            ),
            COLLECTOR,
        ),
        "One row per collection action (reminder, call, letter...) and its cost.",
        tables=("actions",),
        key=Key(("action_id",), content_when_missing=True),
        refers_to_invoices=True,
        row_rules=(what_the_step_says,),
    ),
    "reasons": Kind(
        "reasons",
        (
            INVOICE_ID,
            ColumnSpec(
                "reason",
                "code",
                True,
                (
                    "late reason",
                    "motif",
                    "motif de retard",
                    "cause",
                    "raison",
                    "reason code",
                    "code motif",
                    "cause du retard",
                    "motif retard",
                    "late payment reason",
                ),
            ),
            ColumnSpec(
                "owner",
                "owner",
                False,
                ("responsable", "process owner", "proprietaire", "service responsable", "service"),
            ),
            ColumnSpec(
                "recorded_date",
                "date",
                False,
                ("date enregistrement", "date de saisie", "date", "recorded", "date constat"),
            ),
            ColumnSpec(
                "resolved_date",
                "date",
                False,
                ("date de resolution", "date resolution", "resolved", "resolved on"),
            ),
            ColumnSpec(
                "comment", "text", False, ("commentaire", "remarque", "note", "notes", "comments")
            ),
        ),
        "One row per late-payment cause found on an invoice.",
        tables=("reasons",),
        key=Key(("invoice_id", "reason"), shown_as="reason"),
        refers_to_invoices=True,
    ),
    "surveys": Kind(
        "surveys",
        (
            ColumnSpec(
                "response_id",
                "id",
                False,
                ("id reponse", "n° reponse", "survey response id", "response"),
            ),
            replace(CUSTOMER_ID, required=False),  # answers without one are anonymous
            ColumnSpec(
                "response_date",
                "date",
                True,
                (
                    "date",
                    "date de reponse",
                    "survey date",
                    "date enquete",
                    "answered on",
                    "date reponse",
                    "submitted at",
                    "submitted",
                    "submission date",
                    "completed at",
                    "timestamp",
                    "created at",
                    "date de soumission",
                ),
            ),
            ColumnSpec(
                "survey_type",
                "survey_type",
                True,
                ("type", "type d'enquete", "type enquete", "questionnaire", "metric", "survey"),
            ),
            ColumnSpec(
                "score",
                "score",
                True,
                ("note", "rating", "satisfaction score", "evaluation", "score client"),
            ),
            ColumnSpec(
                "touchpoint",
                "text",
                False,
                ("point de contact", "moment", "interaction", "etape", "touch point"),
            ),
            ColumnSpec(
                "comment",
                "text",
                False,
                ("verbatim", "commentaire", "feedback", "comments", "remarque"),
            ),
        ),
        "One row per survey answer (CSAT 1-5, NPS 0-10, CES 1-7).",
        tables=("surveys",),
        key=Key(("response_id",), content_when_missing=True),
        row_rules=(score_in_range,),
    ),
    "fec": Kind(
        "fec",
        tuple(
            ColumnSpec(name, "text", name in FEC_REQUIRED, forms)
            for name, forms in FEC_COLUMNS.items()
        ),
        "The French FEC (every accounting package exports it): invoices and payments of the "
        "customer accounts (411…), matched by lettering; due dates from --terms.",
        tables=("invoices", "payments"),
        key=Key(("invoice_id",)),
        whole_file=True,
    ),
    "plans": Kind(
        "plans",
        (
            ColumnSpec(
                "plan_id",
                "id",
                True,
                (
                    "plan",
                    "payment plan",
                    "plan number",
                    "arrangement id",
                    "arrangement",
                    "echeancier",
                    "n° echeancier",
                    "id plan",
                    "plan de paiement",
                ),
            ),
            CUSTOMER_ID,
            ColumnSpec("invoice_id", "id", False, INVOICE_ID.synonyms),
            ColumnSpec(
                "instalment",
                "int",
                True,
                (
                    "installment",
                    "instalment number",
                    "installment number",
                    "n° echeance",
                    "n° d'echeance",
                    "numero d'echeance",
                    "rang",
                    "term number",
                    "payment number",
                ),
            ),
            ColumnSpec(
                "due_date",
                "date",
                True,
                DUE_DATE.synonyms + ("instalment date", "installment date", "date de l'echeance"),
            ),
            ColumnSpec(
                "amount",
                "money",
                True,
                AMOUNT_SYN + ("instalment amount", "installment amount", "montant echeance"),
            ),
            ColumnSpec(
                "agreed_date",
                "date",
                False,
                (
                    "agreed on",
                    "agreement date",
                    "date accord",
                    "date de l'accord",
                    "signed on",
                    "date de signature",
                ),
            ),
        ),
        "One row per instalment of a payment plan agreed with a customer.",
        tables=("plans",),
        key=Key(("plan_id", "instalment"), shown_as="instalment"),
        refers_to_invoices=True,
    ),
    "rates": Kind(
        "rates",
        (
            ColumnSpec(
                "date",
                "date",
                True,
                ("rate date", "date du cours", "date de cours", "as of", "valid from", "jour"),
            ),
            ColumnSpec(
                "currency",
                "currency_code",
                True,
                ("devise", "code devise", "currency code", "ccy", "iso", "monnaie"),
            ),
            ColumnSpec(
                "rate",
                "rate",
                True,
                ("exchange rate", "taux", "taux de change", "cours", "fx rate", "fx", "value"),
            ),
        ),
        "Exchange rates: units of the reporting currency for one unit of another currency, "
        "from a date on.",
        tables=("rates",),
        key=Key(("date", "currency"), shown_as="currency"),
        creates_customers=False,
    ),
    "costs": Kind(
        "costs",
        (
            ColumnSpec("month", "month", True, ("mois", "periode", "period")),
            ColumnSpec(
                "category",
                "label:category",
                True,
                ("categorie", "type de cout", "nature", "cost type", "poste"),
            ),
            ColumnSpec("amount", "money0", True, ("montant", "cout", "cost", "amount eur")),
            ColumnSpec("channel", "label:channel", False, ("canal",)),
            ColumnSpec("segment", "text", False, ("segment client",)),
        ),
        "One row per month and cost category of the collection function.",
        tables=("costs",),
        key=Key(("month", "category", "channel", "segment")),
    ),
}

# Recognised values of descriptive columns (EN and FR forms, compared with normalize_value).
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "customer_type": {
        "b2b": ("business", "entreprise", "professionnel", "pro", "company", "btob"),
        "b2c": ("consumer", "particulier", "consommateur", "individual", "private", "btoc"),
        "public": ("public_sector", "secteur_public", "administration", "collectivite", "state"),
    },
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
        "legal": (
            "juridique",
            "contentieux",
            "injonction_de_payer",
            "legal_action",
            "tribunal",
            "huissier",
        ),
    },
    "outcome": {
        "promise_to_pay": (
            "promise",
            "ptp",
            "promesse",
            "promesse_de_paiement",
            "promise_to_pay_agreed",
            "promised",
        ),
        "promise_broken": (
            "broken_promise",
            "promise_not_kept",
            "promesse_non_tenue",
            "promesse_rompue",
            "ptp_broken",
        ),
        "plan_agreed": (
            "arrangement_agreed",
            "payment_plan_agreed",
            "payment_arrangement",
            "arrangement",
            "echeancier",
            "echeancier_accorde",
            "plan_de_paiement",
            "plan_de_paiement_accorde",
            "instalment_plan",
            "installment_plan",
        ),
        "plan_broken": (
            "arrangement_broken",
            "payment_plan_broken",
            "plan_broken",
            "echeancier_non_respecte",
            "echeancier_rompu",
            "plan_de_paiement_non_respecte",
        ),
        "paid": ("paye", "regle", "payment", "paiement"),
        "no_answer": (
            "no_response",
            "pas_de_reponse",
            "sans_reponse",
            "injoignable",
            "unreachable",
            "voicemail",
            "messagerie",
        ),
        "dispute": ("litige", "contestation", "disputed", "conteste"),
        "refused": ("refus", "refuse", "refusal"),
        "other": ("autre",),
    },
    "method": {
        "transfer": (
            "virement",
            "wire",
            "bank_transfer",
            "sepa_transfer",
            "virement_sepa",
            "sepa_credit_transfer",
            "bacs",
        ),
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
    "completed": (
        "complete",
        "ok",
        "paid",
        "success",
        "successful",
        "done",
        "cleared",
        "settled",
        "termine",
        "reussi",
        "effectue",
        "paye",
        "valide",
        "encaisse",
        "complet",
    ),
    "failed": (
        "fail",
        "failure",
        "rejected",
        "declined",
        "bounced",
        "returned",
        "echoue",
        "echec",
        "rejete",
        "refuse",
        "impaye",
    ),
    "incomplete": ("incomplet", "abandoned", "abandonne", "interrompu", "partial_attempt"),
    "input_error": (
        "input_error",
        "error",
        "erreur",
        "erreur_de_saisie",
        "invalid",
        "wrong_reference",
        "mauvaise_reference",
        "saisie_erronee",
    ),
}

LEDGER_STATUS = {
    "paid": ("payee", "paye", "settled", "regle", "reglee", "closed", "cleared", "solde", "soldee"),
    "unpaid": (
        "impayee",
        "impaye",
        "open",
        "ouvert",
        "ouverte",
        "en_cours",
        "outstanding",
        "due",
        "overdue",
        "en_retard",
        "not_paid",
        "non_payee",
        "non_regle",
        "a_payer",
    ),
    "partial": ("partiel", "partielle", "partially_paid", "partiellement_payee", "part_paid"),
    "written_off": (
        "write_off",
        "writeoff",
        "written_off",
        "bad_debt",
        "passee_en_perte",
        "passe_en_perte",
        "perte",
        "irrecouvrable",
        "uncollectible",
        "creance_irrecouvrable",
        "abandon_de_creance",
    ),
}

SURVEY_TYPES = {
    "csat": ("satisfaction", "customer_satisfaction", "csat_score"),
    "nps": ("net_promoter_score", "promoter", "recommandation"),
    "ces": ("customer_effort_score", "effort", "effort_client"),
}

OWNER_ALIASES = {
    "Billing (ADV)": (
        "billing",
        "adv",
        "facturation",
        "facturation_adv",
        "billing_adv",
        "administration_des_ventes",
    ),
    "Sales": ("commercial", "ventes", "vente", "sales_team", "commerce"),
    "Logistics": ("logistique", "supply_chain", "livraison", "delivery"),
    "Accounting": ("comptabilite", "compta", "accounts", "finance_comptabilite"),
    "Customer": ("client", "customer_side", "debtor"),
    "Credit & Collections": (
        "credit_collections",
        "credit",
        "collections",
        "recouvrement",
        "credit_recouvrement",
        "credit_management",
        "credit_and_collections",
    ),
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
    "customer_id": "Code client",
    "name": "Raison sociale",
    "segment": "Segment client",
    "region": "Région",
    "country": "Pays",
    "industry": "Secteur d'activité",
    "risk_class": "Classe de risque",
    "payment_terms_days": "Délai de paiement",
    "collector": "Chargé de recouvrement",
    "preferred_channel": "Canal préféré",
    "customer_type": "Type de client",
    "credit_limit": "Limite de crédit",
    "step": "Étape de relance",
    "invoice_id": "N° facture",
    "issue_date": "Date facture",
    "due_date": "Date d'échéance",
    "amount": "Montant TTC",
    "currency": "Devise",
    "disputed": "Litige",
    "delivery_channel": "Mode d'envoi",
    "paid_date": "Date de règlement",
    "paid_amount": "Montant réglé",
    "payment_id": "N° règlement",
    "payment_date": "Date de paiement",
    "method": "Mode de règlement",
    "status": "Statut",
    "action_id": "N° action",
    "action_date": "Date de relance",
    "action_time": "Heure de relance",
    "channel": "Canal",
    "outcome": "Résultat",
    "promised_date": "Date promise",
    "promised_amount": "Montant promis",
    "cost": "Coût",
    "reason": "Motif de retard",
    "owner": "Responsable",
    "recorded_date": "Date de saisie",
    "resolved_date": "Date de résolution",
    "comment": "Commentaire",
    "response_id": "ID réponse",
    "response_date": "Date de réponse",
    "survey_type": "Type d'enquête",
    "score": "Note",
    "touchpoint": "Point de contact",
    "month": "Mois",
    "date": "Date du cours",
    "rate": "Taux de change",
    "plan_id": "N° échéancier",
    "instalment": "N° d'échéance",
    "agreed_date": "Date de l'accord",
    **{name: name for name in FEC_COLUMNS},  # the FEC's own names, French already
    "category": "Catégorie",
}


def template_headers(kind: str, lang: str) -> list[str]:
    """The header row of a blank file of ``kind``, in English (canonical) or French."""
    cols = [c.name for c in KINDS[kind].columns]
    return cols if lang == "en" else [FR_HEADERS[c] for c in cols]
