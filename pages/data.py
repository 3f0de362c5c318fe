"""Data: upload a file, preview it, map unrecognised columns, read the validation report,
commit or cancel; the batch list with undo; blank templates in English and French."""

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.app import cache, state, uploads, widgets
from dashboard.presentation.exports import to_csv_bytes
from dashboard.presentation.i18n import fmt_number
from dashboard.presentation.messages import translate
from dashboard.presentation.vocabulary import column_label, labeller
from dashboard.storage import store
from data_loaders.headers import SURVEY_SCORES, detect_kind, match_headers
from data_loaders.importer import describe, import_file
from data_loaders.kinds import KINDS, template_headers
from data_loaders.problems import ImportRefused, ImportReport, Problem
from data_loaders.profiles import profile_for
from data_loaders.read import FileUnreadable, count_data_rows, open_source

view = state.require("upload")
st.title(view.t("Data"))
engine = cache.engine()
NOT_IN_FILE = "—"
TABLE_NAMES = {
    "customers": "customers",
    "invoices": "invoices",
    "payments": "payments",
    "actions": "actions",
    "reasons": "reasons",
    "surveys": "survey answers",
    "costs": "cost lines",
    "plans": "plan instalments",
    "rates": "exchange rates",
}
kind_label = labeller("kind", view.lang)
SAME_VALUE = "\x00same"  # the option "one value for every row" (no header is named so)

st.subheader(view.t("Upload a file"))
st.session_state.setdefault("upload_round", 0)
kind_choice = st.selectbox(
    view.t("File kind"),
    ["detect", *KINDS],
    key="upload_kind",
    format_func=lambda k: view.t("Detect from the headers") if k == "detect" else kind_label(k),
)
uploaded = st.file_uploader(
    view.t("Upload a file"),
    type=["csv", "txt", "tsv", "xlsx"],
    key=f"upload_{st.session_state['upload_round']}",
    label_visibility="collapsed",
)


def problems_table(problems: list[Problem], name: str) -> None:
    """Problems by file row, column and value, with how to fix each."""
    widgets.table(
        pd.DataFrame(
            [
                {
                    "row": p.row,
                    "column": p.column,
                    "value": p.value,
                    "problem": translate(p.message, view.lang),
                    "fix": translate(p.fix, view.lang),
                }  # fmt: skip
                for p in problems
            ],
            columns=["row", "column", "value", "problem", "fix"],
        ),
        name,
        view,
        {
            "row": "Row",
            "column": "Column",
            "value": "Value",
            "problem": "Problem",
            "fix": "How to fix",
        },
    )


def show_refusal(report: ImportReport) -> None:
    st.error(view.t("Refused: {n} problem(s). Nothing was written.", n=report.problem_count))
    problems_table(report.problems, "validation_report")


if uploaded is not None:
    uploads.sweep()  # copies left by sessions that have ended
    path = uploads.private_copy(uploaded.file_id, uploaded.name, uploaded.getvalue())
    try:
        source = open_source(path, name=uploaded.name, upload=True)
        headers = source.header()
        preview = next(source.chunks(rows=20), (2, pd.DataFrame(columns=headers)))[1]
    except FileUnreadable as exc:
        uploads.discard(path)  # refused: no copy left behind
        report = ImportReport(kind_choice, uploaded.name)
        report.add(exc.problem)
        show_refusal(report)
        st.stop()
    kind = detect_kind(headers) if kind_choice == "detect" else kind_choice
    if kind is None:
        kind = st.selectbox(
            view.t("File kind"), list(KINDS), key="fallback_kind", format_func=kind_label
        )
    else:
        st.caption(view.t("Detected kind: {kind}", kind=kind_label(kind)))
    st.markdown("**" + view.t("Preview") + "**")
    st.dataframe(preview.head(20), hide_index=True)

    spec = KINDS[kind]
    probe = ImportReport(kind, uploaded.name)
    matched = match_headers(spec, headers, None, probe)
    wide = any(c in SURVEY_SCORES for c in matched.values())
    spare = [h for h in headers if h and h not in matched]
    missing = [
        c
        for c in spec.columns
        if c.name not in matched.values() and not (wide and c.name in ("score", "survey_type"))
    ]
    mapping: list[tuple[str, str]] = []  # pairs: one header chosen twice is reported
    fixed: dict[str, str] = {}
    terms_days: int | None = None
    with st.expander(
        view.t("Column mapping"), expanded=any(c.required for c in missing) or bool(probe.notes)
    ):
        st.dataframe(
            pd.DataFrame(
                {
                    view.t("File"): list(matched),
                    view.t("Column"): [column_label(c, view.lang) for c in matched.values()],
                }
            ),
            hide_index=True,
        )
        for note in probe.notes:
            st.caption(widgets.plain(translate(note, view.lang)))
        if missing:
            st.markdown(
                view.t("Columns not found: take one from the file or give every row a value")
            )
            for col in missing:
                choice = st.selectbox(
                    f"{column_label(col.name, view.lang)}{' *' if col.required else ''}",
                    [NOT_IN_FILE, *spare, SAME_VALUE],
                    key=f"map_{kind}_{col.name}",
                    format_func=lambda o: (
                        view.t("One value for every row") if o == SAME_VALUE else o
                    ),
                )
                if choice == SAME_VALUE:
                    value = st.text_input(
                        view.t(
                            "Value of {column} for every row",
                            column=column_label(col.name, view.lang),
                        ),
                        key=f"set_{kind}_{col.name}",
                    )
                    if value.strip():
                        fixed[col.name] = value
                elif choice != NOT_IN_FILE:
                    mapping.append((choice, col.name))
        remembered = profile_for(engine, kind, headers)
        if remembered is not None:
            st.info(
                view.t(
                    "Remembered mapping '{name}' applies unless you choose here: {flags}",
                    name=widgets.plain(remembered.name),
                    flags=widgets.plain(describe(remembered)),
                )
            )
        profile = st.text_input(
            view.t("Remember this mapping as (optional)"),
            key=f"profile_{kind}",
            help=view.t("A later file with the same headers will use it without any choice."),
        ).strip()
        if spec.whole_file or any(c.name == "due_date" for c in spec.columns):
            terms_days = st.number_input(
                view.t("Invoices without a due date: due after (days)"),
                min_value=0,
                max_value=3650,
                value=None,
                step=1,
                key=f"terms_{kind}",
                help=view.t("The customer's own payment terms come first, when known."),
            )

    keep_rejects = st.checkbox(
        view.t("Commit the valid rows and set the refused ones aside"),
        key=f"rejects_{kind}",
        help=view.t(
            "Without it a file with any bad row writes nothing. With it, the refused rows come "
            "back as a file to correct and import again."
        ),
    )
    rejects_path = path.parent / f"{path.stem}.refused.csv" if keep_rejects else None
    check, commit, cancel = st.columns([1, 1, 4])
    if cancel.button(view.t("Cancel"), key="cancel_upload"):
        uploads.discard(path)  # confidential: no copy left behind
        st.session_state["upload_round"] += 1
        st.rerun()
    run_check = check.button(view.t("Check the file"), key="check_upload")
    run_commit = commit.button(view.t("Commit the import"), type="primary", key="commit_upload")
    if run_check or run_commit:
        total = max(count_data_rows(source), 1)
        bar = st.progress(0.0, text=view.t("Reading {rows} rows…", rows=total))

        def progress(stage: str, rows: int) -> None:
            share = {"scanning": 0.3, "checking": 0.95, "done": 1.0}[stage]
            done = 1.0 if stage == "done" else share * min(rows / total, 1.0)
            bar.progress(
                done, text=f"{fmt_number(rows, view.lang)} / {fmt_number(total, view.lang)}"
            )

        try:
            report = import_file(
                engine,
                kind,
                path,
                mapping=mapping,
                fixed=fixed,
                terms_days=None if terms_days is None else int(terms_days),
                profile=profile or None,
                reject_file=rejects_path,
                dry_run=run_check,
                user=view.account.name,
                name=uploaded.name,
                progress=progress,
                upload=True,
            )
        except ImportRefused as exc:
            uploads.discard(path)  # the file must be corrected anyway: no copy kept
            show_refusal(exc.report)
        else:
            refused = rejects_path.read_bytes() if report.rejected else None
            if report.committed:
                # the database holds it now: no copy left behind, a fresh uploader next run
                uploads.discard(path)
                st.session_state["upload_round"] += 1
                cache.clear()
                st.success(
                    view.t(
                        "Imported: batch {id}, {added} added, {replaced} replaced, "
                        "{unchanged} unchanged.",
                        id=report.batch_id,
                        added=report.added,
                        replaced=report.replaced,
                        unchanged=report.unchanged,
                    )
                )
            else:
                st.success(
                    view.t(
                        "The file is valid: {added} to add, {replaced} to replace, "
                        "{unchanged} unchanged.",
                        added=report.added,
                        replaced=report.replaced,
                        unchanged=report.unchanged,
                    )
                )
            if refused is not None:
                st.warning(
                    view.t(
                        "{n} row(s) refused and set aside: download them, correct them and "
                        "import them again.",
                        n=report.rejected,
                    )
                )
                st.download_button(
                    view.t("Download the refused rows"),
                    refused,
                    file_name=f"{Path(uploaded.name).stem}.refused.csv",
                    mime="text/csv",
                    key="rejects_download",
                    icon=":material/download:",
                    on_click="ignore",
                )
                problems_table(report.rejects, "refused_rows")
            if report.ignored_columns:
                st.caption(
                    view.t(
                        "Ignored columns: {cols}",
                        cols=", ".join(widgets.plain(c) for c in report.ignored_columns),
                    )
                )
            if report.customers_created:
                st.caption(view.t("Created customers: {n}", n=len(report.customers_created)))
                widgets.table(
                    pd.DataFrame(
                        {
                            "customer_id": report.customers_created,
                            "segment": [
                                report.created_segments.get(c) for c in report.customers_created
                            ],
                        }
                    ),
                    "created_customers",
                    view,
                    {"customer_id": "Customer", "segment": "Segment"},
                    height=min(300, 38 + 35 * len(report.customers_created)),
                )
            for note in report.notes:
                st.caption(widgets.plain(translate(note, view.lang)))

st.subheader(view.t("Import batches"))
batches = pd.DataFrame(cache.batches())
if batches.empty:
    st.caption(view.t("No batch yet."))
else:
    widgets.table(
        batches[
            [
                "id",
                "imported_at",
                "kind",
                "file",
                "rows",
                "added",
                "replaced",
                "unchanged",
                "rejected",
                "imported_by",
            ]
        ],
        "batches",
        view,
        {
            "id": "Batch",
            "imported_at": "Imported at",
            "kind": "Kind",
            "file": "File",
            "rows": "Rows",
            "added": "Added",
            "replaced": "Replaced",
            "unchanged": "Unchanged",
            "rejected": "Refused",
            "imported_by": "By",
        },
    )
    left, right = st.columns([2, 1])
    chosen = left.selectbox(
        view.t("Batch to undo"),
        list(batches["id"]),
        key="undo_id",
        format_func=lambda i: f"{i} — {batches.set_index('id').at[i, 'file']}",
    )
    if right.button(view.t("Undo batch"), key="undo_batch"):
        st.session_state["undo_pending"] = int(chosen)  # asked first, undone on confirmation
    pending = st.session_state.get("undo_pending")
    if pending in set(batches["id"]):
        b = batches.set_index("id").loc[pending]
        st.warning(
            view.t(
                "Undo batch {id} ({kind}, {file}, {rows} rows, by {who})? The {added} row(s) "
                "it added go, and the {replaced} version(s) it replaced come back.",
                id=pending,
                kind=kind_label(b["kind"]),
                file=widgets.plain(b["file"]),
                rows=fmt_number(b["rows"], view.lang),
                who=widgets.plain(b["imported_by"]),
                added=fmt_number(b["added"], view.lang),
                replaced=fmt_number(b["replaced"], view.lang),
            )
        )
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button(view.t("Yes, undo it"), key="undo_confirm", type="primary"):
            removed = store.delete_batch(engine, int(pending), view.account.name)
            del st.session_state["undo_pending"]
            cache.clear()
            st.session_state["undo_done"] = (pending, removed)
            st.rerun()
        if no.button(view.t("Keep it"), key="undo_cancel"):
            del st.session_state["undo_pending"]
            st.rerun()
done = st.session_state.pop("undo_done", None)
if done is not None:
    batch_id, removed = done
    detail = ", ".join(
        f"{fmt_number(n, view.lang)} {view.t(TABLE_NAMES.get(t, t))}"
        for t, n in removed.items()
        if n
    )
    st.success(view.t("Batch {id} undone: {detail} removed.", id=batch_id, detail=detail or "0"))

st.subheader(view.t("Templates"))
for kind in KINDS:
    cols = st.columns([2, 1, 1, 4])
    cols[0].markdown(kind_label(kind))
    for col, lang in zip(cols[1:3], ("en", "fr"), strict=True):
        blank = pd.DataFrame(columns=template_headers(kind, lang))
        col.download_button(
            view.t("English" if lang == "en" else "French"),
            to_csv_bytes(blank),
            file_name=f"{kind}_{lang}.csv",
            mime="text/csv",
            key=f"template_{kind}_{lang}",
        )
