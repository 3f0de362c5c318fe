"""The default late-payment taxonomy of SPEC.md and the process owners, in English and French."""

from __future__ import annotations

BILLING, SALES, LOGISTICS = "Billing (ADV)", "Sales", "Logistics"
ACCOUNTING, CUSTOMER, CREDIT = "Accounting", "Customer", "Credit & Collections"

OWNERS: dict[str, str] = {  # canonical owner -> French label
    BILLING: "Facturation (ADV)",
    SALES: "Commercial",
    LOGISTICS: "Logistique",
    ACCOUNTING: "Comptabilité",
    CUSTOMER: "Client",
    CREDIT: "Crédit & Recouvrement",
}

# code, English label, French label, default owner
DEFAULT_REASONS: list[tuple[str, str, str, str]] = [
    ("invoice_not_received", "Invoice not received", "Facture non reçue", BILLING),
    ("invoice_error", "Invoice error (price, quantity, address)", "Facture erronée", BILLING),
    (
        "wrong_contact",
        "Wrong billing contact or address",
        "Mauvais contact de facturation",
        BILLING,
    ),
    ("missing_po", "Missing purchase order or reference", "Bon de commande manquant", SALES),
    (
        "quality_dispute",
        "Quality dispute, customer dissatisfied",
        "Litige qualité, client insatisfait",
        SALES,
    ),
    ("price_dispute", "Price or terms dispute", "Litige sur le prix ou les conditions", SALES),
    (
        "delivery_issue",
        "Delivery late or incomplete",
        "Livraison en retard ou incomplète",
        LOGISTICS,
    ),
    (
        "payment_not_applied",
        "Payment received but not applied",
        "Paiement reçu non imputé",
        ACCOUNTING,
    ),
    (
        "cash_difficulty",
        "Customer cash-flow difficulty",
        "Difficulté de trésorerie du client",
        CUSTOMER,
    ),
    (
        "approval_workflow",
        "Customer approval workflow",
        "Circuit de validation du client",
        CUSTOMER,
    ),
    ("forgotten", "Oversight", "Oubli", CUSTOMER),
    ("payment_failed", "Payment failed or rejected", "Paiement rejeté", CUSTOMER),
    ("other", "Other", "Autre", CREDIT),
]

# The owner of a reason whose code is not in the taxonomy and whose record names none.
FALLBACK_OWNER = CREDIT
