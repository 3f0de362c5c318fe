"""What the import says about a file (problems, how to fix them, notes) and the audit log's
details, in French. The loaders write English sentences with values in them; each English
pattern here, its values written ``{}``, has its French, the values numbered ``{0}``, ``{1}``…
in the order the English gives them. A test checks that every sentence the loaders can write
has its pattern here."""

from __future__ import annotations

import re
from functools import lru_cache

from dashboard.presentation.vocabulary import CODES
from data_loaders.kinds import FR_HEADERS

FR: dict[str, str] = {
    # reading the file
    "file not found": "fichier introuvable",
    "check the path": "vérifiez le chemin",
    "the file is empty": "le fichier est vide",
    "export the data again, with a header row": "exportez à nouveau les données, avec une ligne "
    "d'en-tête",
    "the file is {} MB, more than the {} MB allowed": "le fichier fait {0} Mo, plus que les {1} "
    "Mo admis",
    "split it into smaller files": "découpez-le en fichiers plus petits",
    "the file is named like an Excel workbook but its content is not one": "le fichier porte le "
    "nom d'un classeur Excel mais son contenu n'en est pas un",
    "open it in Excel and save it again as .xlsx, or export it as CSV": "ouvrez-le dans Excel "
    "et enregistrez-le à nouveau en .xlsx, ou exportez-le en CSV",
    "open it in Excel and save it again as .xlsx": "ouvrez-le dans Excel et enregistrez-le à "
    "nouveau en .xlsx",
    "this is an old Excel .xls (or other binary Office) file": "c'est un ancien fichier Excel "
    ".xls (ou un autre fichier Office binaire)",
    "save it as .xlsx or CSV": "enregistrez-le en .xlsx ou en CSV",
    "the workbook cannot be opened: it is damaged (not a readable ZIP archive)": "le classeur ne "
    "peut pas être ouvert : il est endommagé (archive ZIP illisible)",
    "the workbook cannot be opened: it is damaged (a part does not unpack)": "le classeur ne "
    "peut pas être ouvert : il est endommagé (une partie ne se décompresse pas)",
    "this is a ZIP archive but not an Excel workbook (.xlsx)": "c'est une archive ZIP mais pas "
    "un classeur Excel (.xlsx)",
    "export the data as .xlsx or CSV": "exportez les données en .xlsx ou en CSV",
    "export the data as CSV or .xlsx": "exportez les données en CSV ou en .xlsx",
    "the workbook has {} parts, more than a workbook holds": "le classeur compte {0} parties, "
    "plus qu'un classeur n'en contient",
    "the workbook would unpack to {} MB, more than the {} MB allowed": "le classeur ferait {0} "
    "Mo une fois décompressé, plus que les {1} Mo admis",
    "the workbook part {} inflates {} times: refused as a decompression bomb": "la partie {0} "
    "du classeur grossit {1} fois : refusée comme bombe de décompression",
    "export the data again as .xlsx or CSV": "exportez à nouveau les données en .xlsx ou en CSV",
    "the workbook holds macros (an .xlsm saved under another name): refused": "le classeur "
    "contient des macros (un .xlsm renommé) : refusé",
    "save it in Excel as a plain workbook (.xlsx), or export it as CSV": "enregistrez-le dans "
    "Excel comme classeur simple (.xlsx), ou exportez-le en CSV",
    "the sheet declares {} cells (holding {}), more than the {} a sheet may span: refused "
    "before reading it": "la feuille déclare {0} cellules (dont {1} remplies), plus que les {2} "
    "qu'une feuille peut couvrir : refusée avant lecture",
    "the sheet spreads over {} cells (holding {}), more than the {} a sheet may span: refused "
    "before reading it": "la feuille s'étend sur {0} cellules (dont {1} remplies), plus que "
    "les {2} qu'une feuille peut couvrir : refusée avant lecture",
    "copy the data to a new sheet (without far-away cells) and save it again, or export it as "
    "CSV": "copiez les données dans une nouvelle feuille (sans cellules éloignées) et "
    "enregistrez à nouveau, ou exportez en CSV",
    "the workbook cannot be opened ({})": "le classeur ne peut pas être ouvert ({0})",
    "the workbook cannot be read ({})": "le classeur ne peut pas être lu ({0})",
    "no sheet of that name": "aucune feuille de ce nom",
    "use one of: {}": "utilisez l'une de ces valeurs : {0}",
    "the sheet is empty": "la feuille est vide",
    "put a header row and the data on the first sheet": "mettez une ligne d'en-tête et les "
    "données sur la première feuille",
    "the file is binary, not a CSV text or .xlsx workbook": "le fichier est binaire : ce n'est "
    "ni un texte CSV ni un classeur .xlsx",
    "the text is neither UTF-8 nor Windows-1252 (or is binary)": "le texte n'est ni en UTF-8 ni "
    "en Windows-1252 (ou il est binaire)",
    "save the file as CSV UTF-8": "enregistrez le fichier en CSV UTF-8",
    "cannot decode the text: {}": "le texte ne peut pas être décodé : {0}",
    "save the file as UTF-8 or Windows-1252": "enregistrez le fichier en UTF-8 ou en Windows-1252",
    "the file has {} columns, more than the {} allowed": "le fichier a {0} colonnes, plus que "
    "les {1} admises",
    "keep only the columns of this file kind": "ne gardez que les colonnes de ce type de fichier",
    "the file has more than {} data rows": "le fichier a plus de {0} lignes de données",
    "this row has more cells than the header (expected {}, found {})": "cette ligne a plus de "
    "cellules que l'en-tête ({0} attendues, {1} trouvées)",
    "this row has more cells than the header (expected {})": "cette ligne a plus de cellules "
    "que l'en-tête ({0} attendues)",
    "this row has more cells than the header": "cette ligne a plus de cellules que l'en-tête",
    "quote values that contain the separator, or remove the extra cells": "mettez entre "
    "guillemets les valeurs qui contiennent le séparateur, ou supprimez les cellules en trop",
    "a quoted value is never closed (broken quoting)": "une valeur entre guillemets n'est jamais "
    "fermée (guillemets cassés)",
    'close the quote, or double each " inside a quoted value': "fermez le guillemet, ou doublez "
    "chaque \" à l'intérieur d'une valeur entre guillemets",
    "the file cannot be read as CSV: {}": "le fichier ne peut pas être lu comme un CSV : {0}",
    "export the file again as CSV or .xlsx": "exportez à nouveau le fichier en CSV ou en .xlsx",
    "the header row is empty": "la ligne d'en-tête est vide",
    "put the column names on the first row": "mettez les noms de colonnes sur la première ligne",
    "the file has a header but no data rows": "le fichier a un en-tête mais aucune ligne de "
    "données",
    "export the data rows too": "exportez aussi les lignes de données",
    "every row was refused": "toutes les lignes ont été refusées",
    "correct the file (see the reject file) and import it again": "corrigez le fichier (voir le "
    "fichier des lignes refusées) et importez-le à nouveau",
    # headers and options
    "--map gives this header twice ({} and {})": "la correspondance donne cet en-tête deux fois "
    "({0} et {1})",
    "a header holds one column: keep one --map for it": "un en-tête ne contient qu'une colonne : "
    "gardez une seule correspondance pour lui",
    "--map names an unknown {} column": "la correspondance nomme une colonne inconnue du type {0}",
    "--set names an unknown {} column": "la valeur commune nomme une colonne inconnue du type {0}",
    "this column and '{}' both mean {}": "cette colonne et « {0} » désignent toutes deux {1}",
    "remove one of them, or map one elsewhere with --map '{}=<column>'": "supprimez l'une "
    "d'elles, ou associez-en une à une autre colonne",
    "a score column beside columns named after their survey ({})": "une colonne de note à côté "
    "de colonnes nommées d'après leur enquête ({0})",
    "map this column to csat, nps or ces with --map, or remove it": "associez cette colonne à "
    "CSAT, NPS ou CES, ou supprimez-la",
    "--map names a header that is not in the file": "la correspondance nomme un en-tête absent "
    "du fichier",
    "check the header's spelling (first row of the file)": "vérifiez l'orthographe de l'en-tête "
    "(première ligne du fichier)",
    "--set {} but the file has this column": "valeur commune pour {0}, alors que le fichier a "
    "cette colonne",
    "drop --set {}, or remove the column from the file": "retirez la valeur commune, ou "
    "supprimez la colonne du fichier",
    "required column is missing": "colonne obligatoire absente",
    "add a column named one of: {}; name the column that holds it with --map 'Header={}'; or "
    "give every row one value with --set {}=VALUE (or due dates from terms with --terms DAYS)": (
        "ajoutez une colonne nommée par exemple : {0} ; ou, dans « Correspondance des "
        "colonnes », choisissez la colonne du fichier qui la contient ou donnez une valeur à "
        "toutes les lignes (ou des échéances calculées d'après un délai de paiement)"
    ),
    "add a column named one of: {}; name the column that holds it with --map 'Header={}'; or "
    "give every row one value with --set {}=VALUE": (
        "ajoutez une colonne nommée par exemple : {0} ; ou, dans « Correspondance des "
        "colonnes », choisissez la colonne du fichier qui la contient ou donnez une valeur à "
        "toutes les lignes"
    ),
    "the remembered mapping '{}' is for {} files": "la correspondance mémorisée « {0} » est "
    "pour des fichiers de type {1}",
    "import the file as that kind, or choose another --profile name": "importez le fichier sous "
    "ce type, ou choisissez un autre nom de correspondance",
    "--terms applies to invoices, not {}": "le délai de paiement s'applique aux factures, pas "
    "au type {0}",
    "drop it": "retirez-le",
    # values
    "required value is empty": "valeur obligatoire vide",
    "fill in {} on this row, or remove the row": "renseignez {0} sur cette ligne, ou supprimez "
    "la ligne",
    "not an amount": "ce n'est pas un montant",
    "write a number such as 1234.56 or 1 234,56 (no text, one amount)": "écrivez un nombre tel "
    "que 1234.56 ou 1 234,56 (sans texte, un seul montant)",
    "amount must be greater than 0": "le montant doit être supérieur à 0",
    "amount must not be negative": "le montant ne doit pas être négatif",
    "credit notes and refunds are not imported: remove the row or correct the sign": "les avoirs "
    "et remboursements ne sont pas importés : supprimez la ligne ou corrigez le signe",
    "not a valid date": "ce n'est pas une date valide",
    "write the date as YYYY-MM-DD or {} (this column is read {})": "écrivez la date sous la "
    "forme AAAA-MM-JJ ou {0} (cette colonne est lue {1})",
    "not a month": "ce n'est pas un mois",
    "not a time of day": "ce n'est pas une heure",
    "write the time as HH:MM, such as 14:30 (or leave it empty)": (
        "écrivez l'heure sous la forme HH:MM, par exemple 14:30 (ou laissez la cellule vide)"
    ),
    "write the month as YYYY-MM": "écrivez le mois sous la forme AAAA-MM",
    "not a yes/no value": "ce n'est pas une valeur oui/non",
    "write yes or no (oui/non, 1/0, true/false)": "écrivez oui ou non (yes/no, 1/0, vrai/faux)",
    "not a whole number of days": "ce n'est pas un nombre entier de jours",
    "not a whole number": "ce n'est pas un nombre entier",
    "write a number of days such as 30": "écrivez un nombre de jours tel que 30",
    "write a whole number such as 1": "écrivez un nombre entier tel que 1",
    "not a whole-number score": "ce n'est pas une note entière",
    "write the score as a whole number": "écrivez la note en nombre entier",
    "unknown payment status": "statut de paiement inconnu",
    "use completed, failed, incomplete or input_error (or leave empty for completed)": "utilisez "
    "réussi, échoué, incomplet ou erreur de saisie (ou laissez vide pour réussi)",
    "unknown invoice status": "statut de facture inconnu",
    "use paid, unpaid, open, partial or written off (payée, impayée, passée en perte), or leave "
    "it empty": "utilisez payée, impayée, ouverte, partielle ou passée en perte, ou laissez vide",
    "unknown survey type": "type d'enquête inconnu",
    "use csat, nps or ces": "utilisez CSAT, NPS ou CES",
    "unknown late-payment reason": "motif de retard inconnu",
    "use a code or label of the taxonomy: {}": "utilisez un code ou un libellé de la taxonomie : "
    "{0}",
    "not a currency code": "ce n'est pas un code de devise",
    "write the ISO code of the currency, such as USD or GBP": "écrivez le code ISO de la devise, "
    "tel que USD ou GBP",
    "not an exchange rate": "ce n'est pas un taux de change",
    "write the units of the reporting currency for one unit, such as 0.92": "écrivez le nombre "
    "d'unités de la devise de référence pour une unité, tel que 0,92",
    "a payment in another currency than its invoice's": "un paiement dans une autre devise que "
    "celle de sa facture",
    "give the payment in the invoice's currency or in {}": "donnez le paiement dans la devise de "
    "la facture ou en {0}",
    "no exchange rate for {} on or before the invoice's issue date": "aucun taux de change pour "
    "{0} à la date d'émission de la facture ou avant",
    "import a rates file with a {} rate dated on or before it": "importez un fichier de taux "
    "avec un taux {0} daté de ce jour ou d'avant",
    "value longer than {} characters": "valeur de plus de {0} caractères",
    "shorten it (an id or a name this long is most likely a shifted column)": "raccourcissez-la "
    "(un identifiant ou un nom aussi long vient sans doute d'une colonne décalée)",
    "value contains a NUL character": "la valeur contient un caractère NUL",
    "remove the control character": "supprimez le caractère de contrôle",
    "{} score out of range": "note {0} hors de l'échelle",
    "a {} score is a whole number from {} to {}": "une note {0} est un nombre entier de {1} à {2}",
    "a paid amount without a paid date": "un montant réglé sans date de règlement",
    "fill in the paid date, or empty the paid amount": "renseignez la date de règlement, ou videz "
    "le montant réglé",
    "marked paid without a paid date": "marquée payée sans date de règlement",
    "fill in the date it was paid, or mark the row unpaid": "renseignez la date de règlement, ou "
    "marquez la ligne impayée",
    # rows against rows and against the store
    "same key as row {} with different values": "même clé que la ligne {0}, avec d'autres valeurs",
    "keep one row per key, or make the duplicate rows identical": "gardez une ligne par clé, ou "
    "rendez les lignes en double identiques",
    "a line of the invoice of row {} with another {}": "une ligne de la facture de la ligne {0} "
    "avec un autre {1}",
    "rows that share an invoice id are lines of one invoice: give them the same customer and "
    "dates, or distinct invoice ids": "les lignes qui partagent un n° de facture sont les lignes "
    "d'une même facture : donnez-leur le même client et les mêmes dates, ou des n° de facture "
    "distincts",
    "unknown invoice": "facture inconnue",
    "import the invoice (invoices or ledger file) first, or correct the invoice number": "importez "
    "d'abord la facture (fichier de factures ou grand livre), ou corrigez le n° de facture",
    # the FEC
    "not a date": "ce n'est pas une date",
    "write the date as YYYYMMDD": "écrivez la date sous la forme AAAAMMJJ",
    "write 1234,56": "écrivez 1234,56",
    "not a debit or credit sense": "ce n'est pas un sens débit ou crédit",
    "write D or C": "écrivez D ou C",
    "a FEC holds no due dates": "un FEC ne contient pas d'échéances",
    "give the payment terms with --terms DAYS (the customer's own terms come first)": "donnez le "
    "délai de paiement en jours (le délai propre au client passe en premier)",
    # notes
    "Note: '{}' is read as {} (tax included, what the customer owes); '{}' (before tax) is "
    "ignored.": "Remarque : « {0} » est lu comme {1} (TTC, ce que le client doit) ; « {2} » "
    "(HT) est ignoré.",
    "Note: {} row(s) have a due date before the issue date (first at row {}).": "Remarque : {0} "
    "ligne(s) ont une échéance antérieure à la date de facture (la première à la ligne {1}).",
    "Remembered mapping '{}' used (saved for a {} file with these headers): {}": "Correspondance "
    "mémorisée « {0} » utilisée (enregistrée pour un fichier de type {1} avec ces en-têtes) : "
    "{2}",
    "Mapping remembered as '{}': {}": "Correspondance mémorisée sous « {0} » : {1}",
    "Survey answers read from: {}.": "Réponses aux enquêtes lues dans : {0}.",
    "No customer id column: the answers are kept as anonymous.": "Pas de colonne de code "
    "client : les réponses sont gardées comme anonymes.",
    "Invoice lines: {} invoice(s) given on {} rows; the lines of each were summed.": "Lignes de "
    "facture : {0} facture(s) données sur {1} lignes ; les lignes de chacune ont été "
    "additionnées.",
    "No line on a customer account (411…): nothing to import.": "Aucune ligne sur un compte "
    "client (411…) : rien à importer.",
    "Opening entries: {} open item(s) of the previous year already held (imported with that "
    "year's FEC, or in this file) were not counted twice; their payments this year apply to "
    "them.": "À-nouveaux : {0} pièce(s) ouverte(s) de l'exercice précédent déjà connues "
    "(importées avec le FEC de cet exercice, ou dans ce fichier) n'ont pas été comptées deux "
    "fois ; leurs règlements de cette année s'y imputent.",
    "Debits outside sales journals (refunds, bounced payments): {} line(s), {}; reported, not "
    "applied.": "Débits hors journaux de ventes (remboursements, impayés) : {0} ligne(s), {1} ; "
    "signalés, non appliqués.",
    "Payments on account: {} line(s), {} not lettered to an invoice; reported, not applied (they "
    "stay on the customer's balance).": "Acomptes : {0} ligne(s), {1} non lettrés à une "
    "facture ; signalés, non appliqués (ils restent au solde du client).",
    "Credit notes: {} not lettered to an invoice ({}); reported, not applied.": "Avoirs : {0} "
    "non lettrés à une facture ({1}) ; signalés, non appliqués.",
    "Opening credit balances: {} line(s), {} (advances or credits carried over); reported, not "
    "applied.": "Soldes créditeurs d'ouverture : {0} ligne(s), {1} (avances ou avoirs reportés) ; "
    "signalés, non appliqués.",
    "FEC: {} invoice(s) of {} customer(s), {} payment(s), {} written off.": "FEC : {0} "
    "facture(s) de {1} client(s), {2} règlement(s), {3} passée(s) en perte.",
    # the audit log's details
    "batch {}: {} {} ({} rows, {} added, {} replaced, {} refused)": "lot {0} : {1} {2} ({3} "
    "lignes, {4} ajoutées, {5} remplacées, {6} refusées)",
    "batch {}: {} {} ({} rows, {} added, {} replaced)": "lot {0} : {1} {2} ({3} lignes, {4} "
    "ajoutées, {5} remplacées)",
    "batch {} ({} {}): {} row(s) removed": "lot {0} ({1} {2}) : {3} ligne(s) supprimée(s)",
    "failure {} in a row from {}": "échec n° {0} d'affilée depuis {1}",
    "from {}": "depuis {0}",
    "{} owned by {}": "{0} porté par {1}",
    "{} removed": "{0} supprimé",
    "{} ({})": "{0} ({1})",
    # the source of a penalty rate
    "contract rate {}%": "taux contractuel {0} %",
    "legal rate: ECB main refinancing rate of 1 January or 1 July + 10 points": (
        "taux légal : taux de refinancement de la BCE au 1er janvier ou au 1er juillet + 10 points"
    ),
}

# Words inside the values of some sentences (who signed in from where).
WORDS_FR = {
    "here": "ce poste",
    # a column of a file kind, by its French template header; date shapes in French letters
    **{name: header for name, header in FR_HEADERS.items() if name != header},
    "DD/MM/YYYY": "JJ/MM/AAAA",
    "MM/DD/YYYY": "MM/JJ/AAAA",
    "YYYY-MM-DD": "AAAA-MM-JJ",
    **{role: fr.lower() for role, (_, fr) in CODES["role"].items()},
    **{kind: fr.lower() for kind, (_, fr) in CODES["kind"].items()},
}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """The English patterns as regular expressions, the most specific (longest text) first."""
    out = []
    for english, french in FR.items():
        parts = [re.escape(p) for p in english.split("{}")]
        out.append((re.compile("(.*?)".join(parts) + r"\Z", re.S), french, len(english)))
    out.sort(key=lambda p: -p[2])
    return [(p, f) for p, f, _ in out]


@lru_cache(maxsize=4096)
def translate(text: str, lang: str = "en") -> str:
    """``text`` (a sentence of the loaders or the audit log) in ``lang``; a sentence that has
    no French pattern stays as it is."""
    if lang != "fr" or not text:
        return text
    exact = FR.get(text)
    if exact is not None:
        return exact
    for pattern, french in _patterns():
        found = pattern.match(text)
        if found:
            values = [WORDS_FR.get(v, v) for v in found.groups()]
            return french.format(*values)
    return text
