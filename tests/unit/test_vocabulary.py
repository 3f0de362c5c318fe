"""Every code a reader can meet has its label in both languages, and every sentence the loaders
can write about a file has its French (the French interface shows no English, no raw code)."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from dashboard.auth.accounts import ROLES
from dashboard.presentation.messages import FR, translate
from dashboard.presentation.vocabulary import CODES, column_label, label, relabel, source_label
from data_loaders.kinds import KINDS, LABELS, STATUS, SURVEY_TYPES

ROOT = Path(__file__).resolve().parents[2]


def test_every_accepted_code_has_a_label_in_both_languages():
    fields = {
        "channel": list(LABELS["channel"]),
        "outcome": list(LABELS["outcome"]),
        "method": list(LABELS["method"]),
        "category": list(LABELS["category"]),
        "customer_type": list(LABELS["customer_type"]),
        "status": list(STATUS),
        "survey_type": list(SURVEY_TYPES),
        "role": list(ROLES),
        "kind": list(KINDS),
    }
    for field, codes in fields.items():
        for code in codes:
            en, fr = CODES[field][code]
            assert en and fr and "_" not in en + fr, (field, code)


def test_labels_codes_and_leaves_other_values_alone():
    assert label("channel", "formal_notice", "fr") == "Mise en demeure"
    assert label("channel", "formal_notice", "en") == "Formal notice"
    assert label("channel", "pigeon", "fr") == "pigeon"  # not a code: shown as it is
    assert source_label("overhead: staff", "fr") == "Frais généraux\u00a0: personnel"
    assert source_label("overhead: staff", "en") == "Overhead: Staff"
    assert source_label("letter", "fr") == "Courrier"
    assert column_label("due_date", "fr") == "Date d'échéance"
    assert column_label("due_date", "en") == "due_date"  # the English template's header
    df = pd.DataFrame(
        {"channel": ["sms", None], "method": ["direct_debit", "card"], "name": ["sms", "x"]}
    )
    out = relabel(df, "fr")
    assert out["channel"][0] == "SMS" and pd.isna(out["channel"][1])
    assert list(out["method"]) == ["Prélèvement", "Carte bancaire"]
    assert list(out["name"]) == ["sms", "x"]  # a name is data, not a code
    assert list(df["method"]) == ["direct_debit", "card"]  # the caller's frame is untouched


def _templates(node: ast.expr) -> list[str]:
    """The sentences an argument can be, values written ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = [""]
        for v in node.values:
            part = v.value if isinstance(v, ast.Constant) else "{}"
            out = [o + part for o in out]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _templates(node.left) for b in _templates(node.right)]
    if isinstance(node, ast.IfExp):
        return _templates(node.body) + _templates(node.orelse)
    return ["{}"]


def loader_sentences() -> set[str]:
    """Every problem, fix and note the loaders write: Problem(…, message, fix),
    add_problems(…, message, fix), refuse(message, fix) and report.notes.append(note)."""
    found = set()
    for path in (ROOT / "data_loaders").glob("*.py"):
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(n, ast.Call):
                continue
            f = n.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
            args: list[ast.expr] = []
            if name == "Problem":
                args = n.args[3:5]
            elif name == "add_problems":
                args = n.args[4:6]
            elif name == "refuse":
                args = n.args[:2]
            elif name == "append" and getattr(f.value, "attr", "") == "notes":
                args = n.args[:1]
            for a in args:
                found.update(t for t in _templates(a) if t != "{}")
    return found


def test_every_sentence_of_the_loaders_has_its_french():
    sentences = loader_sentences()
    assert len(sentences) > 100  # the extraction finds them (not an empty pass)
    missing = []
    for english in sentences:
        sample = english
        for i in range(english.count("{}")):
            sample = sample.replace("{}", f"V{i}", 1)
        if translate(sample, "fr") == sample:
            missing.append(english)
    assert not missing, missing


def test_translation_keeps_the_values_in_their_place():
    assert (
        translate("this row has more cells than the header (expected 3, found 5)", "fr")
        == "cette ligne a plus de cellules que l'en-tête (3 attendues, 5 trouvées)"
    )
    assert translate("a csat score is a whole number from 1 to 5", "fr") == (
        "une note csat est un nombre entier de 1 à 5"
    )
    assert translate("failure 2 in a row from here", "fr") == "échec n° 2 d'affilée depuis ce poste"
    assert translate("fill in due_date on this row, or remove the row", "fr") == (
        "renseignez Date d'échéance sur cette ligne, ou supprimez la ligne"
    )
    assert translate(
        "write the date as YYYY-MM-DD or DD/MM/YYYY (this column is read DD/MM/YYYY)", "fr"
    ) == (
        "écrivez la date sous la forme AAAA-MM-JJ ou JJ/MM/AAAA (cette colonne est lue JJ/MM/AAAA)"
    )
    assert translate("unknown invoice", "en") == "unknown invoice"
    assert translate("a sentence nobody wrote", "fr") == "a sentence nobody wrote"
    assert all("{}" not in fr for fr in FR.values())  # French values are numbered


def test_the_segment_encaisse_gives_is_named_in_french_and_the_files_segments_are_not():
    """ "Unassigned" is Encaisse's word (customers a file names but nobody classified): a
    French reader sees it in French in tables, filters and charts; a segment from a file
    ("SMB", "Grands comptes") is shown as the file wrote it."""
    from data_loaders.kinds import UNASSIGNED

    assert label("segment", UNASSIGNED, "fr") == "Non affecté"
    assert label("segment", UNASSIGNED, "en") == "Unassigned"
    frame = pd.DataFrame({"segment": [UNASSIGNED, "SMB", "Grands comptes"]})
    assert relabel(frame, "fr")["segment"].tolist() == ["Non affecté", "SMB", "Grands comptes"]
