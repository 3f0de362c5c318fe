"""Every KPI of SPEC.md section 3, declared once.

A declaration holds what every surface needs: the key (``kpis --json``), the English and
French labels, the unit, which way is good, the number of digits shown, the formula in English
and French (shown on hover in the reader's language, in the KPI pack and the README) and the
function that computes it from the typed ``Measures`` of one period and filter. Cards, tables,
exports, the command line and the README all read this registry.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass

from dashboard.core.money import money, ratio
from dashboard.core.periods import month_start
from dashboard.metrics.measures import Measures

UNITS = ("EUR", "days", "%", "score", "count")  # EUR stands for the reporting currency


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    label_fr: str
    unit: str
    better: str  # "up", "down" or "none"
    formula: str
    formula_fr: str
    compute: Callable[[Measures], float | None]
    digits: int = 1  # shown after the decimal mark (money: 2, or 0 from 10,000 up)

    def label_in(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label

    def formula_in(self, lang: str) -> str:
        return self.formula_fr if lang == "fr" else self.formula


def pct(r: float | None) -> float | None:
    return None if r is None else 100 * r


def _countback(s: Measures) -> float | None:
    rest = s.ledger.receivables_cents
    if rest == 0:
        return 0.0
    t = s.period.end
    days = 0.0
    for k in range(24):
        start = month_start(t, -k)
        length = t.day if k == 0 else calendar.monthrange(start.year, start.month)[1]
        sales = s.issued_by_month.get(f"{start:%Y-%m}", 0)
        if sales == 0:
            days += length
        elif rest > sales:
            days += length
            rest -= sales
        else:
            return days + length * rest / sales
    return days


def _dso(s: Measures) -> float | None:
    r = ratio(s.ledger.receivables_cents, s.ledger.credit_sales_cents)
    return None if r is None else r * s.days


def _best_dso(s: Measures) -> float | None:
    r = ratio(s.ledger.current_cents, s.ledger.credit_sales_cents)
    return None if r is None else r * s.days


def _add(s: Measures) -> float | None:
    a, b = _dso(s), _best_dso(s)
    return None if a is None or b is None else a - b


def _cei(s: Measures) -> float | None:
    led = s.ledger
    base = led.receivables_before_cents + led.credit_sales_cents
    return pct(ratio(base - led.receivables_cents, base - led.current_cents))


_DECLARED = [
    Metric(
        "receivables",
        "Receivables",
        "Encours clients",
        "EUR",
        "none",
        "receivables(T) = Σ over invoices issued by T of max(0, amount − completed payments ≤ T).",
        "encours(T) = Σ sur les factures émises au plus tard à T de max(0, montant − "
        "paiements aboutis ≤ T).",
        lambda s: money(s.ledger.receivables_cents),
        digits=2,
    ),
    Metric(
        "current",
        "Current (not yet due)",
        "Non échu",
        "EUR",
        "none",
        "current(T) = the part of receivables(T) with due_date ≥ T.",
        "non échu(T) = la part de l'encours(T) dont l'échéance est ≥ T.",
        lambda s: money(s.ledger.current_cents),
        digits=2,
    ),
    Metric(
        "overdue",
        "Overdue",
        "Échu",
        "EUR",
        "down",
        "overdue(T) = the part of receivables(T) with due_date < T.",
        "échu(T) = la part de l'encours(T) dont l'échéance est < T.",
        lambda s: money(s.ledger.overdue_cents),
        digits=2,
    ),
    Metric(
        "overdue_pct",
        "Overdue share",
        "Part échue",
        "%",
        "down",
        "overdue % = 100 × overdue(T) / receivables(T).",
        "part échue = 100 × échu(T) / encours(T).",
        lambda s: pct(ratio(s.ledger.overdue_cents, s.ledger.receivables_cents)),
    ),
    Metric(
        "credit_sales",
        "Credit sales",
        "Ventes à crédit",
        "EUR",
        "up",
        "credit_sales = Σ amount of invoices with issue_date in P.",
        "ventes à crédit = Σ des montants des factures émises dans P.",
        lambda s: money(s.ledger.credit_sales_cents),
        digits=2,
    ),
    Metric(
        "collected",
        "Collected",
        "Encaissé",
        "EUR",
        "up",
        "collected = Σ completed payments dated in P.",
        "encaissé = Σ des paiements aboutis datés dans P.",
        lambda s: money(s.payments.collected_cents),
        digits=2,
    ),
    Metric(
        "dso",
        "DSO",
        "DSO",
        "days",
        "down",
        "DSO = receivables(T) / credit_sales × days(P).",
        "DSO = encours(T) / ventes à crédit × jours(P).",
        _dso,
    ),
    Metric(
        "dso_countback",
        "DSO (countback)",
        "DSO (épuisement)",
        "days",
        "down",
        "Countback DSO: walk back month by month from T (month 0 = 1st of T's month to T), "
        "adding each month's days while receivables(T) exceed that month's credit sales and "
        "subtracting them; the month that covers the rest adds days × rest / its sales; "
        "over 24 months at most.",
        "DSO par épuisement : remonter mois par mois depuis T (mois 0 = du 1er du mois de T "
        "à T), en ajoutant les jours du mois tant que l'encours(T) dépasse ses ventes à "
        "crédit, que l'on retranche ; le mois qui couvre le reste ajoute jours × reste / "
        "ses ventes ; 24 mois au plus.",
        _countback,
    ),
    Metric(
        "best_possible_dso",
        "Best possible DSO",
        "Meilleur DSO possible",
        "days",
        "down",
        "Best possible DSO = current(T) / credit_sales × days(P).",
        "Meilleur DSO possible = non échu(T) / ventes à crédit × jours(P).",
        _best_dso,
    ),
    Metric(
        "add",
        "Average days delinquent",
        "Retard moyen (ADD)",
        "days",
        "down",
        "ADD = DSO − best possible DSO.",
        "ADD = DSO − meilleur DSO possible.",
        _add,
    ),
    Metric(
        "cei",
        "Collection effectiveness (CEI)",
        "Efficacité du recouvrement (CEI)",
        "%",
        "up",
        "CEI = 100 × (receivables(F−1) + credit_sales − receivables(T)) / "
        "(receivables(F−1) + credit_sales − current(T)).",
        "CEI = 100 × (encours(F−1) + ventes à crédit − encours(T)) / "
        "(encours(F−1) + ventes à crédit − non échu(T)).",
        _cei,
    ),
    Metric(
        "recovery_rate",
        "Recovery rate",
        "Taux de recouvrement",
        "%",
        "up",
        "Recovery rate = 100 × Σ got / Σ owed over invoices due by T, where owed = amount "
        "still open at F−1 and got = min(owed, completed payments dated in P).",
        "Taux de recouvrement = 100 × Σ obtenu / Σ dû sur les factures échues à T, où dû = "
        "montant encore ouvert à F−1 et obtenu = min(dû, paiements aboutis datés dans P).",
        lambda s: pct(ratio(s.ledger.got_cents, s.ledger.owed_cents)),
    ),
    Metric(
        "avg_days_late",
        "Average days late",
        "Retard moyen de paiement",
        "days",
        "down",
        "Average days late = Σ amount × (settlement date − due date) / Σ amount, over "
        "invoices fully paid (within 0.01) on a date in P; early payment counts negative.",
        "Retard moyen de paiement = Σ montant × (date de solde − échéance) / Σ montant, sur "
        "les factures soldées (à 0,01 près) à une date de P ; un paiement en avance compte "
        "en négatif.",
        lambda s: ratio(s.settlements.weighted_days_late_cents, s.settlements.amount_cents),
    ),
    Metric(
        "collection_cost",
        "Collection cost",
        "Coût du recouvrement",
        "EUR",
        "down",
        "Collection cost = Σ cost of actions dated in P + Σ cost lines × (days of their "
        "month in P) / (days in their month); under a filter, each line times the selected "
        "customers' share of its segment's customers (all customers for a line without "
        "one) by collection actions in its month, else by completed payments; null when no "
        "cost data is loaded.",
        "Coût du recouvrement = Σ coût des actions datées dans P + Σ lignes de coût × "
        "(jours de leur mois dans P) / (jours de leur mois) ; sous un filtre, chaque ligne "
        "fois la part des clients choisis parmi les clients de son segment (tous pour une "
        "ligne sans segment), au prorata des actions de relance du mois, à défaut des "
        "paiements ; vide sans aucune donnée de coût.",
        lambda s: (
            round((s.action_cost_cents + s.overhead_cost_cents) / 100, 2)
            if s.has_cost_data
            else None
        ),
        digits=2,
    ),
    Metric(
        "cost_to_collect",
        "Cost to collect",
        "Coût pour encaisser",
        "%",
        "down",
        "Cost to collect = 100 × collection cost / collected.",
        "Coût pour encaisser = 100 × coût du recouvrement / encaissé.",
        lambda s: (
            pct(ratio(s.action_cost_cents + s.overhead_cost_cents, s.payments.collected_cents))
            if s.has_cost_data
            else None
        ),
        digits=2,
    ),
    Metric(
        "dispute_rate",
        "Dispute rate",
        "Taux de litige",
        "%",
        "down",
        "Dispute rate = 100 × disputed invoices issued in P / invoices issued in P.",
        "Taux de litige = 100 × factures en litige émises dans P / factures émises dans P.",
        lambda s: pct(ratio(s.ledger.disputed_count, s.ledger.issued_count)),
    ),
    Metric(
        "payment_failure_rate",
        "Payment failure rate",
        "Taux d'échec des paiements",
        "%",
        "down",
        "Payment failure rate = 100 × payment records dated in P that failed, were "
        "incomplete or had an input error / all payment records dated in P.",
        "Taux d'échec des paiements = 100 × opérations de paiement datées dans P en échec, "
        "incomplètes ou erronées / toutes les opérations de paiement datées dans P.",
        lambda s: pct(ratio(s.payments.failed, s.payments.records)),
    ),
    Metric(
        "csat",
        "CSAT",
        "CSAT",
        "%",
        "up",
        "CSAT = 100 × CSAT answers scoring 4 or 5 / CSAT answers, dated in P.",
        "CSAT = 100 × réponses CSAT notées 4 ou 5 / réponses CSAT, datées dans P.",
        lambda s: pct(ratio(s.surveys.csat_ok, s.surveys.csat_n)),
    ),
    Metric(
        "nps",
        "NPS",
        "NPS",
        "score",
        "up",
        "NPS = 100 × (promoters scoring 9–10 − detractors scoring 0–6) / NPS answers, dated in P.",
        "NPS = 100 × (promoteurs notant 9–10 − détracteurs notant 0–6) / réponses NPS, "
        "datées dans P.",
        lambda s: pct(ratio(s.surveys.promoters - s.surveys.detractors, s.surveys.nps_n)),
    ),
    Metric(
        "ces",
        "CES",
        "CES",
        "score",
        "down",
        "CES = mean customer effort score (1–7), answers dated in P.",
        "CES = moyenne des notes d'effort client (1–7), réponses datées dans P.",
        lambda s: ratio(s.surveys.ces_sum, s.surveys.ces_n),
    ),
    Metric(
        "written_off",
        "Written off",
        "Passé en perte",
        "EUR",
        "down",
        "written_off = Σ amounts written off with a write-off date in P (never collected).",
        "passé en perte = Σ des montants passés en perte dont la date est dans P (jamais "
        "encaissés).",
        lambda s: money(s.ledger.written_off_cents),
        digits=2,
    ),
    Metric(
        "bad_debt_rate",
        "Bad debt rate",
        "Taux de créances irrécouvrables",
        "%",
        "down",
        "Bad debt rate = 100 × written_off / credit_sales.",
        "Taux de créances irrécouvrables = 100 × passé en perte / ventes à crédit.",
        lambda s: pct(ratio(s.ledger.written_off_cents, s.ledger.credit_sales_cents)),
    ),
    Metric(
        "promise_kept_rate",
        "Promises kept",
        "Promesses tenues",
        "%",
        "up",
        "Promises kept = 100 × kept / promises to pay whose promised date + 3 days falls in P; "
        "kept when the completed payments of its invoice (else of its customer) from the "
        "action to the promised date + 3 days reach the promised amount, or the invoice is "
        "paid in full by then.",
        "Promesses tenues = 100 × tenues / promesses de paiement dont la date promise + 3 "
        "jours tombe dans P ; tenue quand les paiements aboutis de sa facture (à défaut de son "
        "client), de l'action à la date promise + 3 jours, atteignent le montant promis, ou "
        "que la facture est soldée d'ici là.",
        lambda s: pct(ratio(s.promises.kept, s.promises.due)),
    ),
    Metric(
        "plan_kept_rate",
        "Plan instalments kept",
        "Échéances de plan tenues",
        "%",
        "up",
        "Plan instalments kept = 100 × kept / instalments whose due date + 5 days falls in P; "
        "kept when the plan's completed payments (on its invoices, else its customer's; from "
        "its agreed date) reach its instalments summed up to this one by the due date + 5 "
        "days.",
        "Échéances tenues = 100 × tenues / échéances dont la date + 5 jours tombe dans P ; "
        "tenue quand les paiements aboutis du plan (sur ses factures, à défaut de son client ; "
        "depuis la date de l'accord) atteignent ses échéances cumulées jusqu'à celle-ci à sa "
        "date + 5 jours.",
        lambda s: pct(ratio(s.plans.kept, s.plans.due)),
    ),
    Metric(
        "dispute_resolution_days",
        "Dispute resolution time",
        "Délai de résolution des litiges",
        "days",
        "down",
        "Dispute resolution time = median days from recorded to resolved of the reason "
        "records resolved in P.",
        "Délai de résolution des litiges = médiane des jours entre saisie et résolution des "
        "motifs résolus dans P.",
        lambda s: s.dispute_resolution_days,
    ),
]

METRICS: dict[str, Metric] = {m.name: m for m in _DECLARED}

# A figure with a card but no scalar key of its own in the JSON (``disputes_open`` holds a count
# and an amount there): declared here alike, for the cards and the README.
OPEN_DISPUTES = Metric(
    "disputes_open",
    "Open disputes",
    "Litiges ouverts",
    "count",
    "down",
    "Open disputes = invoices with a reason record recorded by T and not resolved by T (no "
    "resolved date, or one after T), and the sum of their open amounts at T.",
    "Litiges ouverts = factures ayant un motif saisi au plus tard à T et non résolu à T (sans "
    "date de résolution, ou une date après T), et la somme de leurs montants ouverts à T.",
    lambda s: s.disputes.open_invoices,
    digits=0,
)
CARDS: dict[str, Metric] = {**METRICS, OPEN_DISPUTES.name: OPEN_DISPUTES}

# ``encaisse kpis --json``: the period and currency, every declared KPI in order (with
# ``disputes_open``, a count and an amount, where SPEC.md lists it), then the structured figures.
KPI_KEYS = (
    "from",
    "to",
    "currency",
    *(
        key
        for name in METRICS
        for key in (("disputes_open", name) if name == "dispute_resolution_days" else (name,))
    ),
    "survey_responses",
    "aging",
    "late_reasons",
    "owners",
)
