"""Streamlit's own words in the reader's language: the file uploader's button and limits, and
the "page not found" notice (Streamlit writes them in English whatever the page says)."""

from __future__ import annotations

import streamlit as st

from dashboard.presentation.i18n import fmt_number, t

UPLOADER = "[data-testid=stFileUploaderDropzone]"
# A card's figure of N characters (widgets.kpi_card's container "kpi_long_N_<kpi>") on one
# line: its size follows the card's width (a digit is about 0.55 em wide, the card's padding
# takes a tenth), never larger than Streamlit's own
LONG_FIGURES = "\n".join(
    [
        '[class*="st-key-kpi_long_"] [data-testid=stMetric] {container-type: inline-size}',
        '[class*="st-key-kpi_long_"] [data-testid=stMetricValue] * '
        "{white-space: nowrap !important}",
        *(
            f'[class*="st-key-kpi_long_{n}_"] [data-testid=stMetricValue], '
            f'[class*="st-key-kpi_long_{n}_"] [data-testid=stMetricValue] * '
            f"{{font-size: min(2.25rem, calc(160cqi / {n})) !important}}"
            for n in range(12, 25)
        ),
    ]
)


def _css_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def localise(lang: str) -> None:
    """Replace the uploader's English button and instructions, and the text of Streamlit's
    "page not found" dialog, by Encaisse's words (a style sheet: neither has an option for
    them; the English is hidden, not only covered, so it is not read out either). A KPI
    card's label and its change wrap instead of being cut off ("vs 90 jours précéd…")."""
    limit = fmt_number(st.get_option("server.maxUploadSize"), lang)
    button = t("Browse files", lang)
    limits = t("{mb} MB per file", lang, mb=limit) + " • CSV, TXT, TSV, XLSX"
    # Encaisse opens no dialog of its own: the only one is Streamlit's "page not found"
    title = t("Page not found", lang)
    body = t("No page you may open has this address: the first page opens instead.", lang)
    st.html(
        f"""<style>
{UPLOADER} button [data-testid=stMarkdownContainer] p {{display: none}}
{UPLOADER} button [data-testid=stMarkdownContainer]::after {{content: {_css_text(button)}}}
[data-testid=stFileUploaderDropzoneInstructions] span {{display: none}}
[data-testid=stFileUploaderDropzoneInstructions] > div::after {{
  content: {_css_text(limits)}; font-size: 0.875rem; opacity: 0.7}}
[data-testid=stMetric] div, [data-testid=stMetric] p, [data-testid=stMetric] span {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important}}
{LONG_FIGURES}
[data-testid=stDialog] h2, [data-testid=stDialog] section > div {{
  visibility: hidden; position: relative}}
[data-testid=stDialog] h2::after {{
  visibility: visible; position: absolute; left: 0; content: {_css_text(title)}}}
[data-testid=stDialog] section > div::after {{
  visibility: visible; position: absolute; left: 0; top: 0; content: {_css_text(body)}}}
</style>"""
    )
