"""Late-payment reasons: Pareto of causes, share by process owner and its trend, drill from an
owner to its causes to the invoices, and the editable owner of each cause."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.core.taxonomy import OWNERS
from dashboard.presentation import charts
from dashboard.presentation.i18n import fmt_date, fmt_number, fmt_pct
from dashboard.storage import store

view = state.current()
widgets.header(view, "Late-payment reasons")
codes = cache.taxonomy()
label_of = {c["code"]: c["label_fr" if view.lang == "fr" else "label_en"] for c in codes}


def owner_label(owner: str) -> str:
    return OWNERS.get(owner, owner) if view.lang == "fr" else owner


now = cache.kpis(view.start, view.end, view.key)
owners = pd.DataFrame(now["owners"], columns=["owner", "invoices", "amount"])
if owners.empty:
    widgets.empty_note(view)
    st.caption(view.t("No late-payment reason recorded for invoices due in this period."))
else:
    top = owners.iloc[0]
    top_reason = next(r for r in now["late_reasons"] if r["owner"] == top["owner"])
    share = 100 * top["amount"] / owners["amount"].sum()
    st.markdown(
        "**"
        + view.t(
            "{owner} owns {share} of late euros in this period, mostly {reason}.",
            owner=widgets.plain(owner_label(top["owner"])),
            share=fmt_pct(share, view.lang, 0),
            reason=label_of.get(top_reason["reason"], top_reason["reason"]),
        )
        + "**"
    )

    left, right = st.columns([3, 2])
    with left:
        st.subheader(view.t("Pareto of causes"))
        pareto = cache.reason_pareto(view.start, view.end, view.key)
        pareto["label"] = pareto["reason"].map(lambda c: label_of.get(c, c))
        widgets.chart(
            charts.pareto(
                pareto,
                "label",
                view.t("Amount") + f" ({view.currency})",
                view.t("Cumulative share") + " (%)",
                view.lang,
            )
        )
    with right:
        st.subheader(view.t("By process owner"))
        owners["owner_label"] = owners["owner"].map(owner_label)
        widgets.chart(
            charts.hbars(
                owners, "owner_label", "amount", view.t("Amount") + f" ({view.currency})", view.lang
            )
        )
        widgets.table(
            owners[["owner_label", "invoices", "amount"]],
            "owners",
            view,
            {"owner_label": "Owner", "invoices": "Invoices", "amount": "Amount"},
        )

    st.subheader(view.t("Share of late euros by owner"))
    trend = cache.owner_trend(view.end, 12, view.key)
    trend["owner_label"] = trend["owner"].map(owner_label)
    widgets.chart(charts.owner_share_trend(trend, "%", view.lang))

    st.subheader(view.t("Drill down"))
    left, right = st.columns(2)
    # the drill-down is in the URL (?owner=Sales&reason=missing_po): a link opens it
    owner = state.coded_choice(
        left,
        view.t("Owner"),
        [None, *owners["owner"]],
        "owner",
        lambda o: view.t("All owners") if o is None else owner_label(o),
    )
    reasons = [r["reason"] for r in now["late_reasons"] if owner in (None, r["owner"])]
    reason = state.coded_choice(
        right,
        view.t("Reason"),
        [None, *dict.fromkeys(reasons)],
        "reason",
        lambda c: view.t("All reasons") if c is None else label_of.get(c, c),
    )
    causes = pd.DataFrame([r for r in now["late_reasons"] if owner in (None, r["owner"])])
    causes["reason"] = causes["reason"].map(lambda c: label_of.get(c, c))
    causes["owner"] = causes["owner"].map(owner_label)
    widgets.table(
        causes,
        "causes",
        view,
        {"reason": "Reason", "owner": "Owner", "invoices": "Invoices", "amount": "Amount"},
    )
    if view.can("customers"):  # the invoices name their customers
        st.markdown("**" + view.t("Invoices behind") + "**")
        invoices = cache.reason_invoices(view.start, view.end, view.key, owner, reason)
        invoices["reason"] = invoices["reason"].map(lambda c: label_of.get(c, c))
        invoices["owner"] = invoices["owner"].map(owner_label)
        widgets.table(
            invoices,
            "reason_invoices",
            view,
            {
                "invoice_id": "Invoice",
                "reason": "Reason",
                "owner": "Owner",
                "customer_id": "Customer",
                "name": "Name",
                "due_date": "Due date",
                "amount_eur": "Amount",
            },
        )

st.subheader(view.t("Disputes by owner"))
st.caption(
    view.t(
        "Open at the as-of date: invoices whose reason is recorded and not yet resolved, with "
        "what they still owe. Resolution: median days from recorded to resolved, of the "
        "reasons resolved in the period (and in the period before it)."
    )
)
scorecard = cache.dispute_scorecard(view.start, view.end, view.key)
targets = cache.settings("target.resolution_days.")
if scorecard.empty:
    widgets.empty_note(view)
else:
    target_days = scorecard["owner"].map(
        lambda o: float(targets[o]) if targets.get(o) not in (None, "") else None
    )
    scorecard["target_days"] = target_days
    scorecard["on_target"] = [
        None if pd.isna(t) or pd.isna(r) else view.t("yes" if r <= t else "no")
        for r, t in zip(scorecard["resolution_days"], target_days, strict=True)
    ]
    scorecard["owner"] = scorecard["owner"].map(owner_label)
    widgets.table(
        scorecard,
        "dispute_scorecard",
        view,
        {
            "owner": "Owner",
            "open_invoices": "Open disputes",
            "open_eur": "At stake",
            "oldest_days": "Oldest (days)",
            "resolution_days": "Median resolution (days)",
            "previous_resolution_days": "Period before (days)",
            "target_days": "Target (days)",
            "on_target": "Within target",
        },
    )
    trend = cache.resolution_trend(view.end, view.key)
    if not trend.empty:
        st.markdown("**" + view.t("Median resolution days by month") + "**")
        trend["owner_label"] = trend["owner"].map(owner_label)
        widgets.chart(
            charts.resolution_trend(trend, view.t("Days"), view.t("Disputes resolved"), view.lang)
        )
    if view.can("customers"):  # the list names customers
        chosen = st.session_state.get("owner")  # the drill-down's owner, when one is chosen
        issues, open_count = cache.open_disputes(view.end, view.key, chosen or None)
        st.markdown(
            "**"
            + (
                view.t("Open issues of {owner}", owner=widgets.plain(owner_label(chosen)))
                if chosen
                else view.t("Open issues")
            )
            + "**"
        )
        if open_count > len(issues):  # the oldest only: the rest stays in the database
            st.caption(
                view.t(
                    "The {shown} oldest of {total} open issues.",
                    shown=fmt_number(len(issues), view.lang),
                    total=fmt_number(open_count, view.lang),
                )
            )

        def labelled(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.assign(
                reason=frame["reason"].map(lambda c: label_of.get(c, c)),
                owner=frame["owner"].map(owner_label),
            )

        def every_issue(end=view.end, key=view.key, owner=chosen or None) -> pd.DataFrame:
            return labelled(cache.open_disputes(end, key, owner, oldest=False)[0])

        widgets.table(
            labelled(issues),
            f"open_issues_{chosen or 'all'}",
            view,
            {
                "invoice_id": "Invoice",
                "customer_id": "Customer",
                "name": "Name",
                "reason": "Reason",
                "owner": "Owner",
                "recorded_date": "Recorded",
                "days_open": "Days open",
                "open_eur": "Open",
            },
            whole=every_issue if open_count > len(issues) else None,
        )

st.subheader(view.t("Process fixes and their effect"))
fixes = sorted(
    (
        (dt.date.fromisoformat(key.rsplit(".", 1)[1]), key.rsplit(".", 1)[0], note)
        for key, note in cache.settings("process_fix.").items()
    ),
    reverse=True,
)
if not fixes:
    st.caption(
        view.t(
            "No process fix recorded yet: an administrator records one under the taxonomy "
            "below (the cause, the day, what was changed)."
        )
    )
for fixed_on, code, note in fixes:
    st.markdown(
        "**"
        + widgets.plain(label_of.get(code, code))
        + "** · "
        + fmt_date(fixed_on, view.lang)
        + " · "
        + widgets.plain(note)
    )
    trend, effect = cache.fix_view(code, fixed_on, view.end, view.key)
    widgets.chart(
        charts.share_with_fix(
            trend, fixed_on, view.t("Share of late euros") + " (%)", view.t("fix"), view.lang
        )
    )
    if effect is None:
        st.caption(view.t("Too recent to compare: the fix is after the as-of date."))
    else:
        st.caption(
            view.t(
                "Over {days} days on each side: before, {before} of late euros ({n_before} of "
                "{of_before} invoices with a reason); after, {after} ({n_after} of {of_after}).",
                days=effect["days"],
                before=fmt_pct(effect["before"]["share_pct"], view.lang),
                n_before=effect["before"]["invoices"],
                of_before=effect["before"]["late_invoices"],
                after=fmt_pct(effect["after"]["share_pct"], view.lang),
                n_after=effect["after"]["invoices"],
                of_after=effect["after"]["late_invoices"],
            )
        )

if view.can("admin"):  # the taxonomy is an administrator's setting
    with st.expander(view.t("Taxonomy: who owns each cause")):
        editable = pd.DataFrame(codes)[["code", "label_en", "label_fr", "owner"]]
        edited = st.data_editor(
            editable,
            hide_index=True,
            disabled=["code", "label_en", "label_fr"],
            key="taxonomy",
            column_config={
                "code": view.t("Code"),
                "label_en": view.t("English label"),
                "label_fr": view.t("French label"),
                "owner": st.column_config.SelectboxColumn(
                    view.t("Owner"),
                    options=list(OWNERS),
                    required=True,
                    format_func=owner_label,
                ),
            },
        )
        st.markdown("**" + view.t("Resolution target per owner (days)") + "**")
        owner_targets = cache.settings("target.resolution_days.")
        edited_targets = st.data_editor(
            pd.DataFrame(
                {
                    "owner": list(OWNERS),
                    "target": [
                        float(owner_targets[o]) if owner_targets.get(o) else None for o in OWNERS
                    ],
                }
            ),
            hide_index=True,
            disabled=["owner"],
            key="owner_targets",
            placeholder="—",
            column_config={
                "owner": st.column_config.SelectboxColumn(
                    view.t("Owner"), options=list(OWNERS), format_func=owner_label
                ),
                "target": st.column_config.NumberColumn(view.t("Target (days)"), min_value=0),
            },
        )
        if st.button(view.t("Save targets"), key="save_owner_targets"):
            for o, value in zip(edited_targets["owner"], edited_targets["target"], strict=True):
                key = f"target.resolution_days.{o}"
                if pd.isna(value):
                    if owner_targets.get(o):
                        store.delete_setting(cache.engine(), key, view.account.name)
                else:
                    store.set_setting(cache.engine(), key, repr(float(value)), view.account.name)
            cache.clear()
            st.success(view.t("Targets saved."))
        st.markdown("**" + view.t("Record a process fix") + "**")
        with st.form("process_fix", clear_on_submit=True):
            fix_code = st.selectbox(
                view.t("Reason"),
                [c["code"] for c in codes],
                format_func=lambda c: label_of.get(c, c),
                key="fix_reason",
            )
            fix_day = st.date_input(
                view.t("Day of the fix"), view.end, key="fix_day", format="DD/MM/YYYY"
            )
            fix_note = st.text_input(
                view.t("What was changed"),
                key="fix_note",
                placeholder=view.t("address check added to invoicing"),
            )
            if st.form_submit_button(view.t("Record the fix")) and fix_note.strip():
                store.set_setting(
                    cache.engine(),
                    f"process_fix.{fix_code}.{fix_day.isoformat()}",
                    fix_note.strip()[:500],
                    view.account.name,
                )
                cache.clear()
                st.success(view.t("Fix recorded."))
        if st.button(view.t("Save owners"), key="save_owners"):
            for code, owner in zip(edited["code"], edited["owner"], strict=True):
                if owner != next(c["owner"] for c in codes if c["code"] == code):
                    store.set_reason_owner(cache.engine(), code, owner, view.account.name)
            cache.clear()
            st.success(view.t("Owners saved."))
            st.rerun()
