"""Header matching: which file header holds which canonical column, and which kind a file is.

Headers match in two steps. First by spelling (``normalize_header``: the column's name or one of
its synonyms, whatever the case, accents and punctuation). Then, for the headers and columns
left, by meaning: the words of the header, without unit and tax words (``EUR``, ``€``, ``TTC``,
``HT``, ``incl. VAT``, ``(0-10)``) and small words (``de``, ``of``), in any order, against the
words of each synonym: ``facture_id``, ``montant_ttc_eur`` and ``Amount (EUR)`` find
``invoice_id`` and ``amount``. Of two amounts, before and after tax, ``amount`` is the one tax
included (what the customer owes); the other is listed as ignored.

In a ``surveys`` file without a survey type column, a score column named after its survey
(``nps_rating``, ``Recommend (0-10)``, ``Satisfaction``, ``CES rating (scale: 1-7)``) is matched
to ``csat``, ``nps`` or ``ces``: each such column gives one answer per row (a wide export).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from data_loaders.kinds import KINDS, Kind, normalize_header
from data_loaders.problems import ImportReport, Problem

SURVEY_SCORES = ("csat", "nps", "ces")
# words dropped before comparing by meaning: units, tax, scales, small words
UNIT_WORDS = {
    "eur", "euro", "euros", "usd", "gbp", "chf", "cad", "dollars", "keur",
    "ttc", "ht", "tax", "taxes", "taxe", "incl", "inclusive", "including", "included", "excl",
    "exclusive", "excluding", "excluded", "vat", "tva", "inc", "hors", "gross", "scale",
}  # fmt: skip
SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "d", "l", "of", "the", "a", "an", "to", "on",
               "en", "in", "par", "per", "at", "from", "for", "no", "n", "nr", "num"}  # fmt: skip
TAX_INCLUDED = {"ttc", "incl", "inclusive", "including", "included", "gross", "inc"}
TAX_EXCLUDED = {"ht", "excl", "exclusive", "excluding", "excluded", "hors", "net"}
# the words that name a survey in a score column's header, and the words that may go with them
SURVEY_WORDS = {
    "nps": {"nps", "recommend", "recommendation", "recommandation", "recommander", "promoter"},
    "csat": {"csat", "satisfaction", "satisfied", "satisfait"},
    "ces": {"ces", "effort", "facilite", "ease"},
}
SCORE_WORDS = {
    "rating", "score", "note", "overall", "customer", "client", "likelihood", "likely", "net",
    "question", "q", "level", "value", "answer", "reponse", "survey", "enquete", "globale",
    "global", "how", "would", "you", "us", "votre", "vous", "indice", "index", "taux",
}  # fmt: skip


def words(text: str) -> list[str]:
    """The words of a header: camelCase split, accents and case dropped, digits apart."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.findall(r"[a-z]+|\d+", text.replace("€", " eur ").replace("$", " usd "))


def meaning(text: str) -> frozenset[str]:
    """The words that carry a header's meaning (no unit, tax, number or small word)."""
    return frozenset(
        w for w in words(text) if not w.isdigit() and w not in UNIT_WORDS | SMALL_WORDS
    )


def tax_of(text: str) -> str | None:
    """``incl`` or ``excl`` when a header says whether its amount includes tax."""
    ws = set(words(text))
    if ws & TAX_EXCLUDED:
        return "excl"
    if ws & TAX_INCLUDED:
        return "incl"
    return None


def survey_of(text: str) -> str | None:
    """The survey a score column's header names (``nps_rating`` -> nps), if it names one."""
    ws = meaning(text)
    for code, names in SURVEY_WORDS.items():
        if ws & names and ws <= names | SCORE_WORDS:
            return code
    return None


def pairs(mapping: dict[str, str] | Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if mapping is None:
        return []
    items = mapping.items() if isinstance(mapping, dict) else mapping
    return [(str(k), str(v).strip()) for k, v in items]


def match_headers(
    kind: Kind,
    headers: list[str],
    mapping: dict[str, str] | Iterable[tuple[str, str]] | None,
    report: ImportReport,
    *,
    fixed: dict[str, str] | None = None,
    terms: bool = False,
) -> dict[str, str]:
    """File header -> canonical column (or ``csat``/``nps``/``ces`` for a survey score column);
    records ignored columns and every header problem. ``fixed``: columns given one value for
    every row (``--set``); ``terms``: due dates may be missing (``--terms``)."""
    names = {c.name for c in kind.columns}
    targets = names | (set(SURVEY_SCORES) if kind.name == "surveys" else set())
    fixed = fixed or {}
    explicit: dict[str, str] = {}
    for source, target in pairs(mapping):
        key = normalize_header(source)
        if key in explicit and explicit[key] != target:
            report.add(
                Problem(
                    1,
                    source,
                    target,
                    f"--map gives this header twice ({explicit[key]} and {target})",
                    "a header holds one column: keep one --map for it",
                )
            )
            continue
        if target not in targets:
            report.add(
                Problem(
                    1,
                    source,
                    target,
                    f"--map names an unknown {kind.name} column",
                    "use one of: " + ", ".join(sorted(targets)),
                )
            )
            continue
        explicit[key] = target
    for column in fixed:
        if column not in names:
            report.add(
                Problem(
                    None,
                    column,
                    fixed[column],
                    f"--set names an unknown {kind.name} column",
                    "use one of: " + ", ".join(sorted(names)),
                )
            )

    forms = {form: col.name for col in kind.columns for form in col.header_forms()}
    senses: dict[frozenset[str], str] = {}
    for col in kind.columns:
        for form in (col.name.replace("_", " "), *col.synonyms):
            senses.setdefault(meaning(form), col.name)
    senses.pop(frozenset(), None)

    matched: dict[str, str] = {}
    taken: dict[str, str] = {}  # canonical -> header
    present = [h for h in headers if h]
    keys = {h: normalize_header(h) for h in present}

    def take(header: str, target: str) -> None:
        if target in taken:
            first = taken[target]
            col = kind.column(target) if target in names else None
            if col is not None and col.type.startswith("money"):
                new_tax, old_tax = tax_of(header), tax_of(first)
                if new_tax != old_tax and "excl" in (new_tax, old_tax):
                    keep, drop = (first, header) if new_tax == "excl" else (header, first)
                    matched.pop(drop, None)
                    matched[keep], taken[target] = target, keep
                    report.ignored_columns.append(drop)
                    report.notes.append(
                        f"Note: '{keep}' is read as {target} (tax included, what the customer "
                        f"owes); '{drop}' (before tax) is ignored."
                    )
                    return
            report.add(
                Problem(
                    1,
                    header,
                    None,
                    f"this column and '{first}' both mean {target}",
                    f"remove one of them, or map one elsewhere with --map '{header}=<column>'",
                )
            )
            return
        matched[header], taken[target] = target, header

    # 1. what the user said, 2. spelling, 3. meaning
    for header in present:
        if keys[header] in explicit:
            take(header, explicit[keys[header]])
    for header in present:
        if header not in matched and keys[header] not in explicit and keys[header] in forms:
            take(header, forms[keys[header]])
    for header in present:
        if header in matched or keys[header] in explicit or keys[header] in forms:
            continue
        target = senses.get(meaning(header))
        if target is not None and (target not in taken or kind.column(target).type == "money"):
            take(header, target)

    if kind.name == "surveys" and "survey_type" not in taken and "survey_type" not in fixed:
        for header in present:
            if keys[header] in explicit or matched.get(header) not in (None, "score"):
                continue
            code = survey_of(header)
            if code is not None:
                if matched.get(header) == "score":
                    del taken["score"]
                matched[header] = code
    scores = [h for h, t in matched.items() if t in SURVEY_SCORES]
    if scores and "score" in taken:
        report.add(
            Problem(
                1,
                taken["score"],
                None,
                f"a score column beside columns named after their survey ({', '.join(scores)})",
                "map this column to csat, nps or ces with --map, or remove it",
            )
        )

    for header in present:
        if header not in matched and header not in report.ignored_columns:
            report.ignored_columns.append(header)
    for key, target in explicit.items():
        if not any(keys[h] == key for h in present):
            src = next((s for s, t in pairs(mapping) if normalize_header(s) == key), key)
            report.add(
                Problem(
                    1,
                    src,
                    target,
                    "--map names a header that is not in the file",
                    "check the header's spelling (first row of the file)",
                )
            )
    for column, value in fixed.items():
        if column in taken:
            report.add(
                Problem(
                    1,
                    taken[column],
                    value,
                    f"--set {column} but the file has this column",
                    f"drop --set {column}, or remove the column from the file",
                )
            )
    satisfied = set(taken) | set(fixed)
    if scores:
        satisfied |= {"score", "survey_type"}
    if terms:
        satisfied.add("due_date")
    for col in kind.columns:
        if col.required and col.name not in satisfied:
            accepted = ", ".join(sorted({col.name, *col.synonyms[:6]}))
            report.add(
                Problem(
                    1,
                    col.name,
                    None,
                    "required column is missing",
                    f"add a column named one of: {accepted}; name the column that holds it "
                    f"with --map 'Header={col.name}'; or give every row one value with "
                    f"--set {col.name}=VALUE"
                    + (
                        " (or due dates from terms with --terms DAYS)"
                        if col.name == "due_date"
                        else ""
                    ),
                )
            )
    report.columns = dict(matched)
    return matched


def detect_kind(headers: list[str]) -> str | None:
    """The kind whose required columns the headers cover best (ties: fewest ignored headers)."""
    best, best_score = None, (0, 0.0, 0)
    for kind in KINDS.values():
        report = ImportReport(kind.name, "")
        matched = set(match_headers(kind, headers, None, report).values())
        if kind.name == "ledger" and not matched & {"paid_date", "paid_amount"}:
            continue  # without settlement columns it is an invoices file
        # due dates can come from terms (--terms, or the Data page's days): not needed here
        required = [c.name for c in kind.columns if c.required and c.name != "due_date"]
        if matched & set(SURVEY_SCORES):
            matched |= {"score", "survey_type"}
        covered = sum(c in matched for c in required)
        score = (int(covered == len(required)), covered / len(required), len(matched))
        if score > best_score:
            best, best_score = kind.name, score
    return best if best_score[0] else None
