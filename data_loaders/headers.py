"""Header matching: which file header holds which canonical column, and which kind a file is."""

from __future__ import annotations

from data_loaders.kinds import KINDS, Kind, normalize_header
from data_loaders.problems import ImportReport, Problem


def match_headers(
    kind: Kind, headers: list[str], mapping: dict[str, str] | None, report: ImportReport
) -> dict[str, str]:
    """File header -> canonical column; records ignored columns and missing required ones."""
    forms = {form: col.name for col in kind.columns for form in col.header_forms()}
    names = {c.name for c in kind.columns}
    explicit = {normalize_header(k): v.strip() for k, v in (mapping or {}).items()}
    matched: dict[str, str] = {}
    for position, header in enumerate(headers):
        if not header:
            continue
        key = normalize_header(header)
        target = explicit.get(key) or forms.get(key)
        if key in explicit and target not in names:
            report.add(
                Problem(
                    1,
                    header,
                    target,
                    f"--map names an unknown {kind.name} column",
                    "use one of: " + ", ".join(sorted(names)),
                )
            )
            continue
        if target is None:
            report.ignored_columns.append(header)
        elif target in matched.values():
            first = next(h for h, c in matched.items() if c == target)
            report.add(
                Problem(
                    1,
                    header,
                    None,
                    f"this column and '{first}' both mean {target}",
                    f"remove one of them, or map one elsewhere with --map '{header}=<column>'",
                )
            )
        else:
            matched[headers[position]] = target
    for missing in set(explicit.values()) - set(matched.values()) - {None}:
        if missing in names:
            src = [k for k, v in (mapping or {}).items() if v.strip() == missing]
            report.add(
                Problem(
                    1,
                    src[0] if src else None,
                    None,
                    "--map names a header that is not in the file",
                    "check the header's spelling (first row of the file)",
                )
            )
    for col in kind.columns:
        if col.required and col.name not in matched.values():
            accepted = ", ".join(sorted({col.name, *col.synonyms[:6]}))
            report.add(
                Problem(
                    1,
                    col.name,
                    None,
                    "required column is missing",
                    f"add a column named one of: {accepted}; or name the "
                    f"column that holds it with --map 'Header={col.name}'",
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
        required = [c.name for c in kind.columns if c.required]
        covered = sum(c in matched for c in required)
        score = (int(covered == len(required)), covered / len(required), len(matched))
        if score > best_score:
            best, best_score = kind.name, score
    return best if best_score[0] else None
