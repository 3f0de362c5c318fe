"""The codes a reader meets (channels, outcomes, methods, statuses, roles, file kinds…) and
their labels in English and French, declared once: tables, charts, pickers and exports show the
label, files and the URL keep the code."""

from __future__ import annotations

import pandas as pd

from dashboard.core.taxonomy import DEFAULT_REASONS, OWNERS
from data_loaders.kinds import FR_HEADERS, UNASSIGNED

# field -> code -> (English, French)
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "channel": {
        "email": ("E-mail", "E-mail"),
        "phone": ("Phone call", "Appel"),
        "sms": ("Text message", "SMS"),
        "letter": ("Letter", "Courrier"),
        "ivr": ("Automated call", "Appel automatique"),
        "portal": ("Customer portal", "Portail client"),
        "formal_notice": ("Formal notice", "Mise en demeure"),
        "agency": ("Collection agency", "Agence de recouvrement"),
        "legal": ("Legal action", "Action judiciaire"),
        "unknown": ("Not stated", "Non précisé"),
    },
    "outcome": {
        "promise_to_pay": ("Promise to pay", "Promesse de paiement"),
        "promise_broken": ("Promise broken", "Promesse non tenue"),
        "plan_agreed": ("Payment plan agreed", "Échéancier accordé"),
        "plan_broken": ("Payment plan broken", "Échéancier non respecté"),
        "paid": ("Paid", "Payé"),
        "no_answer": ("No answer", "Pas de réponse"),
        "dispute": ("Dispute raised", "Litige soulevé"),
        "refused": ("Refused", "Refus"),
        "other": ("Other", "Autre"),
    },
    "method": {
        "transfer": ("Bank transfer", "Virement"),
        "direct_debit": ("Direct debit", "Prélèvement"),
        "card": ("Card", "Carte bancaire"),
        "check": ("Cheque", "Chèque"),
        "cash": ("Cash", "Espèces"),
        "portal": ("Online portal", "Paiement en ligne"),
        "unknown": ("Not stated", "Non précisé"),
    },
    "status": {
        "completed": ("Completed", "Réussi"),
        "failed": ("Failed", "Échoué"),
        "incomplete": ("Incomplete", "Incomplet"),
        "input_error": ("Input error", "Erreur de saisie"),
    },
    "category": {
        "staff": ("Staff", "Personnel"),
        "agency": ("Collection agency", "Agence de recouvrement"),
        "tools": ("Tools and software", "Outils et logiciels"),
        "postage": ("Postage", "Affranchissement"),
        "legal": ("Legal fees", "Frais juridiques"),
        "other": ("Other", "Autre"),
    },
    "survey_type": {
        "csat": ("CSAT", "CSAT"),
        "nps": ("NPS", "NPS"),
        "ces": ("CES", "CES"),
    },
    "role": {
        "viewer": ("Viewer", "Lecteur"),
        "manager": ("Manager", "Responsable"),
        "uploader": ("Uploader", "Chargé des imports"),
        "admin": ("Administrator", "Administrateur"),
    },
    "kind": {
        "customers": ("Customers", "Clients"),
        "invoices": ("Invoices", "Factures"),
        "ledger": ("Ledger (invoices and payments)", "Grand livre (factures et règlements)"),
        "payments": ("Payments", "Règlements"),
        "actions": ("Collection actions", "Actions de relance"),
        "reasons": ("Late-payment reasons", "Motifs de retard"),
        "surveys": ("Survey answers", "Réponses aux enquêtes"),
        "fec": ("FEC (French accounting entries)", "FEC (fichier des écritures comptables)"),
        "plans": ("Payment plans", "Échéanciers"),
        "rates": ("Exchange rates", "Taux de change"),
        "costs": ("Collection costs", "Coûts du recouvrement"),
    },
    "customer_type": {
        "b2b": ("Business", "Entreprise"),
        "b2c": ("Consumer", "Particulier"),
        "public": ("Public sector", "Secteur public"),
    },
    "action": {  # the audit log
        "import": ("Import", "Import"),
        "batch_delete": ("Batch undone", "Lot annulé"),
        "user_add": ("User added", "Utilisateur ajouté"),
        "user_remove": ("User removed", "Utilisateur supprimé"),
        "user_passwd": ("Password changed", "Mot de passe modifié"),
        "user_role": ("Role changed", "Rôle modifié"),
        "login": ("Signed in", "Connexion"),
        "login_failed": ("Sign-in failed", "Échec de connexion"),
        "login_throttled": ("Sign-in slowed down", "Connexion ralentie"),
        "logout": ("Signed out", "Déconnexion"),
        "setting": ("Setting", "Réglage"),
        "taxonomy": ("Taxonomy", "Taxonomie"),
    },
    "promise_status": {
        "kept": ("Kept", "Tenue"),
        "broken": ("Broken", "Non tenue"),
        "live": ("Not yet due", "En cours"),
    },
    "way": {
        "at_once": ("At once", "En une fois"),
        "scheduled": ("Scheduled (direct debit)", "Programmé (prélèvement)"),
        "instalments": ("In instalments", "En plusieurs fois"),
    },
    "profile": {
        "on_time": ("On time", "À l'heure"),
        "a_little_late": ("A little late", "Un peu en retard"),
        "late": ("Late", "En retard"),
        "very_late": ("Very late", "Très en retard"),
        "disputing": ("Disputing", "Contestataire"),
    },
    "tone": {
        "relationship": ("Relationship first", "La relation d'abord"),
        "firm": ("Firm", "Ferme"),
        "courteous": ("Courteous", "Courtoise"),
    },
    "instalment_status": {
        "kept": ("Kept", "Tenue"),
        "late": ("Late", "En retard"),
        "upcoming": ("Upcoming", "À venir"),
    },
    # the segment Encaisse gives a customer nobody classified (the others are the files' words)
    "segment": {UNASSIGNED: (UNASSIGNED, "Non affecté")},
    "reason": {code: (en, fr) for code, en, fr, _ in DEFAULT_REASONS},
    "owner": {owner: (owner, fr) for owner, fr in OWNERS.items()},
}

# A cost source is a channel (the cost of actions) or "overhead: <category>" (a cost line).
OVERHEAD = "overhead: "
OVERHEAD_WORD = {"en": "Overhead", "fr": "Frais généraux"}

# Table columns whose values are codes of a field (the column name is the field's, except these)
COLUMN_FIELDS = {
    "source": "source",
    "detected_kind": "kind",
    "last_survey": "survey_type",
    "top_reason": "reason",
    "suggested_channel": "channel",
    "best_channel": "channel",
}


def label(field: str, code: object, lang: str = "en") -> object:
    """The label of ``code`` in ``lang``; a value that is not a known code (a custom channel, a
    label already) is returned as it is."""
    if field == "source":
        return source_label(code, lang)
    known = CODES.get(field, {}).get(code) if isinstance(code, str) else None
    if known is None:
        return code
    return known[1] if lang == "fr" else known[0]


def source_label(code: object, lang: str = "en") -> object:
    """A cost source: a channel's label, or "Overhead: Staff" / "Frais généraux : personnel"."""
    if isinstance(code, str) and code.startswith(OVERHEAD):
        category = code[len(OVERHEAD) :]
        what = label("category", category, lang)
        colon = "\u00a0: " if lang == "fr" else ": "
        return f"{OVERHEAD_WORD[lang]}{colon}{what.lower() if lang == 'fr' else what}"
    return label("channel", code, lang)


def field_of(column: object) -> str | None:
    name = str(column)
    if name in COLUMN_FIELDS:
        return COLUMN_FIELDS[name]
    return name if name in CODES else None


def relabel(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A copy of ``df`` whose coded columns (channel, outcome, method, status, role, kind…)
    hold labels in ``lang``."""
    out = df.copy()
    for col in df.columns:
        field = field_of(col)
        if field is not None and len(out):
            out[col] = out[col].map(lambda v, f=field: label(f, v, lang))
    return out


def column_label(name: str, lang: str = "en") -> str:
    """A file kind's column as a reader names it: its English template header (the canonical
    name) or its French one."""
    return FR_HEADERS.get(name, name) if lang == "fr" else name


def labeller(field: str, lang: str):
    """``format_func`` for a picker whose options are codes of ``field``."""
    return lambda code: label(field, code, lang)
