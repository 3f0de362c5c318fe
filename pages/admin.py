"""Administration: users and their roles, KPI targets, and the audit log of who did what."""

import pandas as pd
import streamlit as st

from dashboard.app import cache, state, widgets
from dashboard.auth import accounts
from dashboard.metrics import METRICS
from dashboard.presentation.i18n import unit_label
from dashboard.presentation.messages import translate
from dashboard.presentation.vocabulary import labeller
from dashboard.storage import store

view = state.require("admin")
engine = cache.engine()
me = view.account.name
role_label = labeller("role", view.lang)
st.title(view.t("Administration"))

st.subheader(view.t("Users"))
users = pd.DataFrame(
    accounts.list_users(engine), columns=["name", "role", "created_at", "created_by"]
)
if users.empty:
    st.info(
        view.t(
            "No users yet: the dashboard is open to anyone who reaches it. The first "
            "user you add should be an administrator."
        )
    )
else:
    widgets.table(
        users,
        "users",
        view,
        {"name": "User name", "role": "Role", "created_at": "Added", "created_by": "By"},
    )


def act(fn, *args, done: str) -> None:
    """Run one user change; its refusal (unknown user, short password…) shown as it is."""
    try:
        fn(engine, *args, me)
    except accounts.AuthError as exc:
        st.error(str(exc))
    else:
        st.success(done)


add, change = st.columns(2)
with add, st.form("add_user", clear_on_submit=True):
    st.markdown("**" + view.t("Add a user") + "**")
    name = st.text_input(
        view.t("User name"),
        key="new_user_name",
        help=view.t("For single sign-on, the e-mail address"),
    )
    role = st.selectbox(view.t("Role"), accounts.ROLES, key="new_user_role", format_func=role_label)
    password = st.text_input(view.t("Password"), type="password", key="new_user_password")
    if st.form_submit_button(view.t("Add"), type="primary"):
        act(accounts.add_user, name, password, role, done=view.t("User {name} added.", name=name))
with change, st.form("change_user", clear_on_submit=True):
    st.markdown("**" + view.t("Change a user") + "**")
    who = st.selectbox(
        view.t("User name"), list(users["name"]), key="change_user", index=None, placeholder="—"
    )
    new_role = st.selectbox(
        view.t("Role"),
        [None, *accounts.ROLES],
        key="change_role",
        format_func=lambda r: view.t("unchanged") if r is None else role_label(r),
    )
    new_password = st.text_input(view.t("New password"), type="password", key="change_pw")
    remove = st.checkbox(view.t("Remove this user"), key="remove_user")
    if st.form_submit_button(view.t("Apply")) and who:
        if remove:
            act(accounts.remove_user, who, done=view.t("User {name} removed.", name=who))
        if new_role and not remove:
            act(accounts.set_role, who, new_role, done=view.t("Role changed."))
        if new_password and not remove:
            act(accounts.set_password, who, new_password, done=view.t("Password changed."))

st.subheader(view.t("Targets"))
st.caption(
    view.t("A target shows under its KPI card; the DSO trend draws it. Leave empty for none.")
)
targets = cache.settings("target.")
rows = pd.DataFrame(
    [
        {
            "kpi": name,
            "label": m.label_in(view.lang),
            "unit": unit_label(m.unit, view.lang, view.currency),
            "target": float(targets[name]) if name in targets else None,
        }
        for name, m in METRICS.items()
    ]
)
edited = st.data_editor(
    rows,
    hide_index=True,
    placeholder="—",
    disabled=["kpi", "label", "unit"],
    key="targets",
    column_config={
        "kpi": None,
        "label": view.t("KPI"),
        "unit": view.t("Unit"),
        "target": st.column_config.NumberColumn(view.t("Target")),
    },
)
if st.button(view.t("Save targets"), key="save_targets"):
    for kpi, value in zip(edited["kpi"], edited["target"], strict=True):
        old = targets.get(kpi)
        if pd.isna(value) and old is not None:
            store.delete_setting(engine, f"target.{kpi}", me)
        elif not pd.isna(value) and (old is None or float(old) != float(value)):
            store.set_setting(engine, f"target.{kpi}", repr(float(value)), me)
    cache.clear()
    st.success(view.t("Targets saved."))

st.subheader(view.t("Audit log"))
log = pd.DataFrame(
    store.audit_log(engine, 500), columns=["id", "at", "actor", "action", "detail"]
).rename(columns={"at": "logged_at"})[["logged_at", "actor", "action", "detail"]]
log["detail"] = log["detail"].map(lambda d: translate(d or "", view.lang))
widgets.table(
    log,
    "audit_log",
    view,
    {"logged_at": "When", "actor": "Who", "action": "What", "detail": "Detail"},
    height=400,
)
