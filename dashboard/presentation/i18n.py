"""English and French: interface strings, and numbers, money and dates as each language writes
them (``1 234,56 €`` in French, ``€1,234.56`` in English). English text is the key."""

from __future__ import annotations

import datetime as dt
import math
from functools import partial

from dashboard.metrics.registry import CARDS, METRICS

LANGS = ("en", "fr")
NNBSP = "\u202f"  # narrow no-break space: French thousands separator
NBSP = "\u00a0"

# Aging buckets (SPEC's keys) as a reader names them; the text is the translation key.
AGING_LABELS = {
    "current": "Not yet due",
    "d1_30": "1–30 days",
    "d31_60": "31–60 days",
    "d61_90": "61–90 days",
    "d90_plus": "Over 90 days",
}

# Plain-language readings of a correlation, by its direction ("none" when too weak to tell).
READINGS = {
    "negative": "Customers with more {behaviour} give lower CSAT scores: {strength} "
    "correlation (r = {r}, {n} customers).",
    "positive": "Customers with more {behaviour} give higher CSAT scores: {strength} "
    "correlation (r = {r}, {n} customers).",
    "none": "No clear link between {behaviour} and CSAT scores (r = {r}, {n} customers).",
}

FR: dict[str, str] = {
    # navigation and pages
    "Overview": "Vue d'ensemble",
    "Collections": "Recouvrement",
    "Satisfaction": "Satisfaction",
    "Late-payment reasons": "Motifs de retard",
    "Segments & customers": "Segments et clients",
    "Customer": "Client",
    "Data": "Données",
    "Welcome": "Bienvenue",
    "Reporting": "Pilotage",
    "Manage": "Gestion",
    # sidebar
    "Filters": "Filtres",
    "Period": "Période",
    "Last 30 days": "30 derniers jours",
    "Last 90 days": "90 derniers jours",
    "Quarter to date": "Trimestre en cours",
    "Year to date": "Année en cours",
    "Custom": "Personnalisée",
    "As of": "Au",
    "From": "Du",
    "To": "Au ",
    "Segments": "Segments",
    "Regions": "Régions",
    "Collectors": "Recouvreurs",
    "Language": "Langue",
    "All": "Tous",
    "Period: {start} to {end} ({days} days)": "Période : du {start} au {end} ({days} jours)",
    "vs previous {days} days": "vs {days} jours précédents",
    # KPI labels and formulas live in their declaration (dashboard.metrics.registry)
    "target {value}": "objectif {value}",
    "best possible {a}, ADD {b}": "meilleur possible {a}, ADD {b}",
    # overview
    "Monthly trends": "Tendances mensuelles",
    "Aging at {date}": "Balance âgée au {date}",
    "Not yet due": "Non échu",
    "1–30 days": "1–30 j",
    "31–60 days": "31–60 j",
    "61–90 days": "61–90 j",
    "Over 90 days": "> 90 j",
    "Amount": "Montant",
    "Month": "Mois",
    "Value": "Valeur",
    "Days": "Jours",
    "Download the KPI table": "Télécharger le tableau des indicateurs",
    "pts": "pts",  # percentage points
    "no cost data loaded": "aucune donnée de coût chargée",
    "Most overdue customers": "Clients les plus en retard",
    "Compared with": "Comparé à",
    "all": "tous",
    "all customers": "tous les clients",
    "{start} to {end} ({days} days)": "du {start} au {end} ({days} jours)",
    "How the collection cost is shared among segments": (
        "Comment le coût du recouvrement est réparti entre segments"
    ),
    "Each cost line is shared among the customers of its segment (all customers when it has "
    "none) by their collection actions in its month, else by their payments that month; with "
    "neither, it stays unallocated. So the segments add up to the company.": (
        "Chaque ligne de coût est répartie entre les clients de son segment (tous les clients "
        "si elle n'en a pas) au prorata de leurs actions de relance du mois, à défaut de leurs "
        "paiements du mois ; sans l'un ni l'autre, elle reste non répartie. Ainsi, les segments "
        "s'additionnent pour donner le total de l'entreprise."
    ),
    "not in a segment, or unallocated": "hors segment, ou non réparti",
    "total": "total",
    "Actions' own cost": "Coût propre des actions",
    "Share of cost lines": "Part des lignes de coût",
    "Type a customer id or name": "Saisissez le code ou le nom d'un client",
    "Days until due": "Jours avant échéance",
    "No cost data loaded.": "Aucune donnée de coût chargée.",
    "No survey answers in these 12 months.": "Aucune réponse d'enquête sur ces 12 mois.",
    "no survey answers in this period": "aucune réponse d'enquête sur la période",
    "not defined for this period": "non défini sur la période",
    "{n} answers": "{n} réponses",
    "no answers in the period compared": "aucune réponse sur la période comparée",
    "no figure in the period compared": "pas de valeur sur la période comparée",
    "vs the same dates last year": "vs mêmes dates l'an dernier",
    "{overdue} overdue, {over90} over 90 days": "{overdue} échus, dont {over90} à plus de 90 jours",
    "Every invoice is paid in full by {settled}: the view opens on {date}, the last day with "
    "open items.": (
        "Toutes les factures sont soldées au {settled} : la vue s'ouvre au {date}, dernier "
        "jour avec des factures ouvertes."
    ),
    "KPI": "Indicateur",
    "Previous period": "Période précédente",
    "Change": "Variation",
    "Formula": "Formule",
    "Target": "Objectif",
    # collections
    "Collected vs credit sales": "Encaissements et ventes à crédit",
    "Recovery rate and DSO": "Taux de recouvrement et DSO",
    "Aging over time": "Balance âgée dans le temps",
    "CEI by month": "CEI par mois",
    "Cost to collect by month": "Coût du recouvrement par mois",
    "Reminder channels: cost and cash": "Canaux de relance : coût et encaissements",
    "Failed payments by method": "Paiements en échec par moyen",
    "Channel": "Canal",
    "Actions": "Actions",
    "Cost": "Coût",
    "Cash": "Encaissé",
    "Paid within 14 days": "Payé sous 14 jours",
    "Cash per € spent": "Encaissé par € dépensé",
    "Method": "Moyen",
    "Records": "Opérations",
    "Failure rate": "Taux d'échec",
    "Source": "Origine",
    "Highest failure rate: {method} ({rate}).": "Taux d'échec le plus élevé : {method} ({rate}).",
    # satisfaction
    "Satisfaction trends": "Tendances de satisfaction",
    "By segment": "Par segment",
    "By touchpoint": "Par point de contact",
    "Verbatims": "Verbatims",
    "Search the comments": "Rechercher dans les commentaires",
    "Satisfaction and payment behaviour": "Satisfaction et comportement de paiement",
    "Responses": "Réponses",
    "Touchpoint": "Point de contact",
    "Segment": "Segment",
    "CSAT score (1–5)": "Note CSAT (1–5)",
    "Disputes": "Litiges",
    "Reminders": "Relances",
    "Correlation with CSAT score (r)": "Corrélation avec la note CSAT (r)",
    "days late": "jours de retard",
    "disputes": "litiges",
    "reminders": "relances",
    "none": "nulle",
    "weak": "faible",
    "moderate": "modérée",
    "strong": "forte",
    READINGS["negative"]: "Les clients qui ont plus de {behaviour} donnent de moins bonnes "
    "notes CSAT : corrélation {strength} (r = {r}, {n} clients).",
    READINGS["positive"]: "Les clients qui ont plus de {behaviour} donnent de meilleures notes "
    "CSAT : corrélation {strength} (r = {r}, {n} clients).",
    READINGS["none"]: "Pas de lien net entre les {behaviour} et la note CSAT (r = {r}, "
    "{n} clients).",
    "Not enough answers to measure a link.": "Pas assez de réponses pour mesurer un lien.",
    "Customer-level detail is shown to managers and administrators.": (
        "Le détail par client est réservé aux responsables crédit et aux administrateurs."
    ),
    "{n} comments": "{n} commentaires",
    "Date": "Date",
    "Score": "Note",
    "Comment": "Commentaire",
    "Type": "Type",
    "Name": "Nom",
    # reasons
    "Pareto of causes": "Pareto des causes",
    "By process owner": "Par responsable de processus",
    "Share of late euros by owner": "Part des euros en retard par responsable",
    "Drill down": "Détail",
    "Owner": "Responsable",
    "Reason": "Motif",
    "Invoices": "Factures",
    "Cumulative share": "Part cumulée",
    "Invoices behind": "Factures concernées",
    "Taxonomy: who owns each cause": "Taxonomie : qui porte chaque cause",
    "Save owners": "Enregistrer les responsables",
    "Owners saved.": "Responsables enregistrés.",
    "{owner} owns {share} of late euros in this period, mostly {reason}.": (
        "{owner} porte {share} des euros en retard sur la période, surtout : {reason}."
    ),
    "No late-payment reason recorded for invoices due in this period.": (
        "Aucun motif de retard enregistré pour les factures échues sur la période."
    ),
    "Code": "Code",
    "Label": "Libellé",
    "Due date": "Échéance",
    "Invoice": "Facture",
    "All owners": "Tous les responsables",
    "All reasons": "Tous les motifs",
    # segments and customers
    "Segment comparison": "Comparaison des segments",
    "Balance: recovery against satisfaction": "Équilibre : recouvrement et satisfaction",
    "Place": "Placer",
    "segment": "segment",
    "collector": "recouvreur",
    "Firm but kind": "Ferme et bienveillant",
    "Firm, customers unhappy": "Ferme, clients mécontents",
    "Kind, cash slow": "Bienveillant, encaissement lent",
    "Neither": "Ni l'un ni l'autre",
    "Customers": "Clients",
    "Search a customer (id or name)": "Rechercher un client (code ou nom)",
    "Open balance": "Solde ouvert",
    "Last score": "Dernière note",
    "Top reason": "Motif principal",
    "Open a customer": "Ouvrir un client",
    "Region": "Région",
    "Collector": "Recouvreur",
    # customer page
    "Open items": "Factures ouvertes",
    "Payments": "Paiements",
    "Reminder history": "Historique des relances",
    "Reasons": "Motifs",
    "Survey answers": "Réponses aux enquêtes",
    "Choose a customer": "Choisir un client",
    "Days past due": "Jours de retard",
    "Open": "Ouvert",
    "Status": "Statut",
    "Outcome": "Résultat",
    "Issue date": "Date de facture",
    "Disputed": "En litige",
    "Recorded": "Saisi le",
    "Resolved": "Résolu le",
    "Payment terms (days)": "Délai de paiement (jours)",
    "Risk class": "Classe de risque",
    "No customer matches.": "Aucun client ne correspond.",
    # data
    "Upload a file": "Déposer un fichier",
    "File kind": "Type de fichier",
    "Detect from the headers": "Détecter d'après les en-têtes",
    "Preview": "Aperçu",
    "Column mapping": "Correspondance des colonnes",
    "Map the columns that were not recognised": "Associer les colonnes non reconnues",
    "{amount} written off, bad debt {rate}": (
        "{amount} passés en perte, créances irrécouvrables {rate}"
    ),
    "Columns not found: take one from the file or give every row a value": (
        "Colonnes absentes : en prendre une du fichier ou donner une valeur à toutes les lignes"
    ),
    "One value for every row": "Une même valeur pour toutes les lignes",
    "Invoice currency": "Devise de la facture",
    "Undo batch {id} ({kind}, {file}, {rows} rows, by {who})? The {added} row(s) it added go, "
    "and the {replaced} version(s) it replaced come back.": (
        "Annuler le lot {id} ({kind}, {file}, {rows} lignes, par {who}) ? Les {added} ligne(s) "
        "qu'il a ajoutées disparaissent et les {replaced} version(s) qu'il a remplacées "
        "reviennent."
    ),
    "Yes, undo it": "Oui, l'annuler",
    "Keep it": "Le garder",
    "Batch {id} undone: {detail} removed.": "Lot {id} annulé : {detail} retiré(e)s.",
    "customers": "clients",
    "invoices": "factures",
    "payments": "paiements",
    "actions": "relances",
    "reasons": "motifs",
    "survey answers": "réponses d'enquête",
    "cost lines": "lignes de coût",
    "plan instalments": "échéances de plans",
    "exchange rates": "taux de change",
    "Commit the valid rows and set the refused ones aside": (
        "Valider les lignes correctes et mettre de côté les lignes refusées"
    ),
    "Without it a file with any bad row writes nothing. With it, the refused rows come "
    "back as a file to correct and import again.": (
        "Sans cette option, un fichier avec une seule ligne fausse n'écrit rien. Avec elle, "
        "les lignes refusées reviennent dans un fichier à corriger et à importer de nouveau."
    ),
    "{n} row(s) refused and set aside: download them, correct them and import them again.": (
        "{n} ligne(s) refusée(s) et mise(s) de côté : téléchargez-les, corrigez-les et "
        "importez-les de nouveau."
    ),
    "Download the refused rows": "Télécharger les lignes refusées",
    "Refused": "Refusées",
    "Amount in that currency": "Montant dans cette devise",
    "Remembered mapping '{name}' applies unless you choose here: {flags}": (
        "La correspondance mémorisée sous « {name} » s'applique si rien n'est choisi ici : {flags}"
    ),
    "Remember this mapping as (optional)": "Mémoriser cette correspondance sous (facultatif)",
    "A later file with the same headers will use it without any choice.": (
        "Un prochain fichier aux mêmes en-têtes l'utilisera sans rien choisir."
    ),
    "Value of {column} for every row": "Valeur de {column} pour toutes les lignes",
    "Invoices without a due date: due after (days)": (
        "Factures sans date d'échéance : échues après (jours)"
    ),
    "The customer's own payment terms come first, when known.": (
        "Le délai de paiement du client, quand il est connu, passe en premier."
    ),
    "(not in the file)": "(absente du fichier)",
    "Check the file": "Vérifier le fichier",
    "Commit the import": "Valider l'import",
    "Cancel": "Annuler",
    "Validation report": "Rapport de validation",
    "Row": "Ligne",
    "Column": "Colonne",
    "Problem": "Problème",
    "How to fix": "Comment corriger",
    "The file is valid: {added} to add, {replaced} to replace, {unchanged} unchanged.": (
        "Le fichier est valide : {added} à ajouter, {replaced} à remplacer, {unchanged} inchangées."
    ),
    "Refused: {n} problem(s). Nothing was written.": (
        "Refusé : {n} problème(s). Rien n'a été écrit."
    ),
    "Imported: batch {id}, {added} added, {replaced} replaced, {unchanged} unchanged.": (
        "Importé : lot {id}, {added} ajoutées, {replaced} remplacées, {unchanged} inchangées."
    ),
    "Import batches": "Lots importés",
    "Undo": "Annuler le lot",
    "Batch {id} undone.": "Lot {id} annulé.",
    "Templates": "Modèles",
    "English": "Anglais",
    "French": "Français",
    "Detected kind: {kind}": "Type détecté : {kind}",
    "File": "Fichier",
    "Rows": "Lignes",
    "Added": "Ajoutées",
    "Replaced": "Remplacées",
    "Unchanged": "Inchangées",
    "By": "Par",
    "Imported at": "Importé le",
    "Kind": "Type",
    "Reading {rows} rows…": "Lecture de {rows} lignes…",
    "Ignored columns: {cols}": "Colonnes ignorées : {cols}",
    "Created customers: {n}": "Clients créés : {n}",
    "No batch yet.": "Aucun lot pour l'instant.",
    "Undo batch": "Annuler le lot",
    "Batch to undo": "Lot à annuler",
    # welcome
    "Encaisse measures collection performance and customer satisfaction side by side.": (
        "Encaisse mesure la performance du recouvrement et la satisfaction client côte à côte."
    ),
    "The database is empty. Start with the demo data, or upload your own files.": (
        "La base est vide. Commencez avec les données de démonstration ou déposez vos fichiers."
    ),
    "Load the demo data": "Charger les données de démonstration",
    "Upload my files": "Déposer mes fichiers",
    "Loading the demo data…": "Chargement des données de démonstration…",
    "No data for this period and filter.": "Aucune donnée pour cette période et ce filtre.",
    "CSV": "CSV",
    "Excel": "Excel",
    # sign-in, roles and administration
    "Sign in to Encaisse": "Connexion à Encaisse",
    "User name": "Identifiant",
    "Password": "Mot de passe",
    "Sign in": "Se connecter",
    "Sign out": "Se déconnecter",
    "Sign in with single sign-on": "Se connecter avec l'authentification unique (SSO)",
    "Signed in as {name} ({role})": "Connecté : {name} ({role})",
    "Wrong user name or password.": "Identifiant ou mot de passe incorrect.",
    "Too many failed attempts. Try again in {seconds} s.": (
        "Trop d'échecs de connexion. Réessayez dans {seconds} s."
    ),
    "Your session has expired. Please sign in again.": (
        "Votre session a expiré. Veuillez vous reconnecter."
    ),
    "{email} has no access to Encaisse. Ask an administrator to add this address as a user.": (
        "{email} n'a pas accès à Encaisse. Demandez à un administrateur d'ajouter cette "
        "adresse comme utilisateur."
    ),
    "You do not have access to this page.": "Vous n'avez pas accès à cette page.",
    "viewer": "lecteur",
    "manager": "responsable crédit",
    "uploader": "chargé des imports",
    "admin": "administrateur",
    "Administration": "Administration",
    "Users": "Utilisateurs",
    "No users yet: the dashboard is open to anyone who reaches it. The first user you add "
    "should be an administrator.": "Aucun utilisateur : le tableau de bord est ouvert à "
    "quiconque y accède. Le premier utilisateur créé doit être administrateur.",
    "Add a user": "Ajouter un utilisateur",
    "Role": "Rôle",
    "Add": "Ajouter",
    "For single sign-on, the e-mail address": "Pour l'authentification unique, l'adresse e-mail",
    "Change a user": "Modifier un utilisateur",
    "unchanged": "inchangé",
    "New password": "Nouveau mot de passe",
    "Remove this user": "Supprimer cet utilisateur",
    "Apply": "Appliquer",
    "User {name} added.": "Utilisateur {name} ajouté.",
    "User {name} removed.": "Utilisateur {name} supprimé.",
    "Role changed.": "Rôle modifié.",
    "Password changed.": "Mot de passe modifié.",
    "Targets": "Objectifs",
    "A target shows under its KPI card; the DSO trend draws it. Leave empty for none.": (
        "Un objectif s'affiche sous sa carte ; la courbe du DSO le trace. Laisser vide pour aucun."
    ),
    "Unit": "Unité",
    "Save targets": "Enregistrer les objectifs",
    "Targets saved.": "Objectifs enregistrés.",
    "Audit log": "Journal d'audit",
    "When": "Quand",
    "Who": "Qui",
    "What": "Quoi",
    "Detail": "Détail",
    "Ask an uploader or an administrator to load the first files.": (
        "Demandez à un chargé des imports ou à un administrateur de charger les premiers fichiers."
    ),
    # the KPI pack
    "Download the KPI pack (Excel)": "Télécharger le dossier des indicateurs (Excel)",
    "KPIs": "Indicateurs",
    "Aging": "Balance âgée",
    "Bucket": "Tranche",
    "Share": "Part",
    "Late euros by owner": "Retards par responsable",
    "Late reasons": "Motifs de retard",
    "Top overdue customers": "Clients les plus en retard",
    "Currency": "Devise",
    "Generated": "Produit le",
    "English label": "Libellé anglais",
    "Browse files": "Parcourir",
    "Batch": "Lot",
    "Nothing to show.": "Rien à afficher.",
    "no promise to pay due in this period": "aucune promesse de paiement échue sur la période",
    "no plan instalment due in this period": "aucune échéance de plan sur la période",
    "{amount} at stake": "{amount} en jeu",
    "no dispute resolved in this period": "aucun litige résolu sur la période",
    "No promise to pay or plan instalment due in these 12 months.": (
        "Aucune promesse de paiement ni échéance de plan sur ces 12 mois."
    ),
    "No dispute resolved in these 12 months.": "Aucun litige résolu sur ces 12 mois.",
    "Promises to pay": "Promesses de paiement",
    "Payment plans": "Échéanciers",
    "Made on": "Faite le",
    "Promised for": "Promise pour le",
    "Plan": "Échéancier",
    "Instalment": "N° d'échéance",
    "Disputes by owner": "Litiges par responsable",
    "Aged balance": "Balance âgée clients",
    "Nothing is owed at this date.": "Rien n'est dû à cette date.",
    "Held by the {n} largest": "Part des {n} plus gros",
    "The share of receivables owed by the {n} customers that owe the most.": (
        "La part de l'encours due par les {n} clients qui doivent le plus."
    ),
    "Over their credit limit": "Au-delà de leur limite de crédit",
    "Customers whose open balance exceeds their credit limit.": (
        "Clients dont le solde ouvert dépasse la limite de crédit."
    ),
    "no credit limit loaded (customers file, column credit_limit)": (
        "aucune limite de crédit chargée (fichier clients, colonne Limite de crédit)"
    ),
    "The {n} most overdue": "Les {n} plus gros retards",
    "Nothing overdue at this date.": "Rien d'échu à cette date.",
    "By customer": "Par client",
    "Click a row to open the customer.": "Cliquez sur une ligne pour ouvrir le client.",
    "Credit limit": "Limite de crédit",
    "Limit used": "Limite utilisée",
    "Collector performance": "Performance des recouvreurs",
    "Each collector's portfolio (the customers assigned to them) and how it pays; actions "
    "per 1,000 collected: the collection actions on those customers in the period for "
    "each 1,000 of cash they paid.": (
        "Le portefeuille de chaque recouvreur (les clients qui lui sont confiés) et comment il "
        "paie ; actions pour 1 000 encaissés : les actions de relance sur ces clients dans la "
        "période pour 1 000 encaissés auprès d'eux."
    ),
    "Actions per 1,000 collected": "Actions pour 1 000 encaissés",
    "Statement of account": "Relevé de compte",
    "Worklist": "Liste d'appels",
    "Cash forecast: the next 13 weeks": "Prévision d'encaissement : les 13 prochaines semaines",
    "Expected": "Attendu",
    "Forecast against actual": "Prévision contre réalisé",
    "Not enough history to test the forecast yet.": (
        "Pas encore assez d'historique pour tester la prévision."
    ),
    "At each of the last 26 week-ends, the forecast of the next 4 weeks against what "
    "came in on the invoices then open, beside the naive forecast (every invoice paid "
    "on its due date). Weighted error: forecast {mape}, naive {naive}.": (
        "À chacune des 26 dernières fins de semaine, la prévision des 4 semaines suivantes "
        "contre ce qui est rentré sur les factures alors ouvertes, à côté de la prévision "
        "naïve (chaque facture payée à son échéance). Erreur pondérée : prévision {mape}, "
        "naïve {naive}."
    ),
    "Came in": "Rentré",
    "Payer profiles": "Profils de payeurs",
    "Each customer by its last 12 months: disputing when a fifth or more of its invoices "
    "are disputed, else by its amount-weighted days late: on time (up to 3), a little late "
    "(up to 15), late (up to 30), very late. Per profile, the reminder channel most often "
    "followed by the invoice's payment within 14 days (10 reminders at least): the "
    "reminder strategy for that kind of customer.": (
        "Chaque client d'après ses 12 derniers mois : contestataire quand un cinquième ou plus "
        "de ses factures sont en litige, sinon selon son retard moyen pondéré par les "
        "montants : à l'heure (jusqu'à 3 jours), un peu en retard (jusqu'à 15), en retard "
        "(jusqu'à 30), très en retard. Par profil, le canal de relance le plus souvent suivi "
        "du paiement de la facture sous 14 jours (au moins 10 relances) : la stratégie de "
        "relance pour ce type de client."
    ),
    "Profile": "Profil",
    "Share of customers": "Part des clients",
    "Share of receivables": "Part de l'encours",
    "Reminder cost per 100 collected": "Coût des relances pour 100 encaissés",
    "Channel that brings the cash in": "Canal qui fait rentrer l'argent",
    "Promises whose date + 3 days falls in the period: kept when the payments from the "
    "promise to that day reach the promised amount, or settle the invoice.": (
        "Promesses dont la date + 3 jours tombe dans la période : tenues quand les paiements, "
        "de la promesse à ce jour, atteignent le montant promis ou soldent la facture."
    ),
    "Promises": "Promesses",
    "Kept": "Tenues",
    "Broken": "Non tenues",
    "Broken (amount)": "Non tenues (montant)",
    "Three ways to pay": "Trois façons de payer",
    "Invoices settled in the period by how they were paid: scheduled (a direct debit), in "
    "instalments (a payment plan, or several payments), else at once.": (
        "Les factures soldées dans la période selon la façon dont elles ont été payées : "
        "programmé (un prélèvement), en plusieurs fois (un échéancier, ou plusieurs "
        "paiements), sinon en une fois."
    ),
    "Way to pay": "Façon de payer",
    "Paid by the due date": "Payées à l'échéance",
    "Table of article D.441-6 (management report)": (
        "Tableau de l'article D.441-6 (rapport de gestion)"
    ),
    "Year end": "Date de clôture",
    "91 days and more": "91 jours et plus",
    "Total (1 day and more)": "Total (1 jour et plus)",
    "Days past due at the year end": "Retard à la clôture",
    "Amount (tax included)": "Montant (TTC)",
    "Share of the year's sales": "Part du chiffre d'affaires de l'exercice",
    "Sales of the year: {sales}. Disputed invoices, left out: {n}, {amount}.": (
        "Chiffre d'affaires de l'exercice : {sales}. Factures en litige, exclues : {n}, {amount}."
    ),
    "Excel ({language})": "Excel ({language})",
    "Late-payment penalties and the 40 € indemnity": (
        "Pénalités de retard et indemnité forfaitaire de 40 €"
    ),
    "What could be claimed at the as-of date from business and public customers: "
    "penalties accrued day by day on what was unpaid ({source}) and 40 € per late "
    "invoice; beside each customer's CSAT and payer score, so that the manager "
    "decides. Total: {penalty} of penalties, {indemnity} of indemnities.": (
        "Ce qui pourrait être réclamé à la date d'arrêté aux clients professionnels et "
        "publics : des pénalités courues jour après jour sur ce qui restait dû ({source}) et "
        "40 € par facture en retard ; à côté de la note CSAT et du score payeur de chaque "
        "client, pour que le responsable décide. Total : {penalty} de pénalités, {indemnity} "
        "d'indemnités."
    ),
    "legal rate: ECB main refinancing rate of 1 January or 1 July + 10 points": (
        "taux légal : taux de refinancement de la BCE au 1er janvier ou au 1er juillet + 10 points"
    ),
    "Late invoices": "Factures en retard",
    "Process fixes and their effect": "Corrections de processus et leur effet",
    "No process fix recorded yet: an administrator records one under the taxonomy "
    "below (the cause, the day, what was changed).": (
        "Aucune correction de processus enregistrée : un administrateur en enregistre une sous "
        "la taxonomie ci-dessous (la cause, le jour, ce qui a changé)."
    ),
    "Share of late euros": "Part des euros en retard",
    "fix": "correction",
    "Too recent to compare: the fix is after the as-of date.": (
        "Trop récente pour comparer : la correction est après la date d'arrêté."
    ),
    "Over {days} days on each side: before, {before} of late euros ({n_before} of "
    "{of_before} invoices with a reason); after, {after} ({n_after} of {of_after}).": (
        "Sur {days} jours de chaque côté : avant, {before} des euros en retard ({n_before} "
        "factures sur {of_before} avec un motif) ; après, {after} ({n_after} sur {of_after})."
    ),
    "Record a process fix": "Enregistrer une correction de processus",
    "Day of the fix": "Jour de la correction",
    "What was changed": "Ce qui a changé",
    "address check added to invoicing": "contrôle de l'adresse ajouté à la facturation",
    "Record the fix": "Enregistrer la correction",
    "Fix recorded.": "Correction enregistrée.",
    "When to remind": "Quand relancer",
    "Per channel and weekday of the reminders of the period: how many, the share followed "
    "by the invoice's payment within 14 days, and the cash of those payments; by hour of "
    "the day too for the reminders whose file gives their time. — : not enough data "
    "(fewer than {n} reminders).": (
        "Par canal et jour de la semaine des relances de la période : combien, la part suivie "
        "du paiement de la facture sous 14 jours, et l'argent de ces paiements ; par heure de "
        "la journée aussi pour les relances dont le fichier donne l'heure. — : pas assez de "
        "données (moins de {n} relances)."
    ),
    "Weekday": "Jour",
    "Followed by a payment": "Suivies d'un paiement",
    "By hour of the day": "Par heure de la journée",
    "Test the forecast on the last 26 weeks": "Tester la prévision sur les 26 dernières semaines",
    "Each of those forecasts is made again from what was known then.": (
        "Chacune de ces prévisions est refaite à partir de ce qui était connu alors."
    ),
    "Grey: fewer than {n} reminders, not enough to say.": (
        "En gris : moins de {n} relances, pas assez pour conclure."
    ),
    "Hour": "Heure",
    "Paid within 14 days (%)": "Payées sous 14 jours (%)",
    "Monday": "lundi",
    "Tuesday": "mardi",
    "Wednesday": "mercredi",
    "Thursday": "jeudi",
    "Friday": "vendredi",
    "Saturday": "samedi",
    "Sunday": "dimanche",
    "Penalties": "Pénalités",
    "Indemnities": "Indemnités",
    "Terms over the legal caps": "Délais au-delà du plafond légal",
    "Forecast": "Prévision",
    "Naive forecast": "Prévision naïve",
    "How the priority and the payer score are computed": (
        "Comment la priorité et le score payeur sont calculés"
    ),
    "{n} customers with an overdue balance, highest priority first.": (
        "{n} clients avec un solde échu, les plus prioritaires d'abord."
    ),
    "Priority": "Priorité",
    "Payer score": "Score payeur",
    "Tone": "Ton",
    "Why": "Pourquoi",
    "Broken promises": "Promesses non tenues",
    "Last contact": "Dernier contact",
    "Statement of account (Excel)": "Relevé de compte (Excel)",
    "Customer id": "Code client",
    "Paid": "Réglé",
    "Still owed": "Reste dû",
    "Balance": "Solde",
    "Of which overdue": "Dont échu",
    "Payments received from {start} to {end}": "Règlements reçus du {start} au {end}",
    "No payment received in these days.": "Aucun règlement reçu sur ces jours.",
    "In the customer's language ({language}), with its open items and the payments of the last "
    "90 days.": "Dans la langue du client ({language}), avec ses factures ouvertes et les "
    "règlements des 90 derniers jours.",
    "Open at the as-of date: invoices whose reason is recorded and not yet resolved, with "
    "what they still owe. Resolution: median days from recorded to resolved, of the "
    "reasons resolved in the period (and in the period before it).": (
        "Ouverts à la date d'arrêté : factures dont le motif est saisi et pas encore résolu, "
        "avec ce qu'elles doivent encore. Résolution : médiane des jours entre saisie et "
        "résolution des motifs résolus sur la période (et sur la période d'avant)."
    ),
    "At stake": "En jeu",
    "Oldest (days)": "Plus ancien (j)",
    "Median resolution (days)": "Résolution médiane (j)",
    "Median resolution days by month": "Délai médian de résolution par mois",
    "Disputes resolved": "Litiges résolus",
    "Period before (days)": "Avant (j)",
    "Target (days)": "Objectif (j)",
    "Within target": "Dans l'objectif",
    "yes": "oui",
    "no": "non",
    "Open issues of {owner}": "Litiges ouverts de {owner}",
    "The {shown} oldest of {total} open issues.": (
        "Les {shown} plus anciens des {total} litiges ouverts."
    ),
    "Open issues": "Litiges ouverts",
    "Days open": "Jours ouverts",
    "Resolution target per owner (days)": "Objectif de résolution par responsable (jours)",
    "{mb} MB per file": "{mb} Mo par fichier",
    "Page not found": "Page introuvable",
    "No page you may open has this address: the first page opens instead.": (
        "Aucune page qui vous soit ouverte n'a cette adresse : la première page s'affiche."
    ),
    "French label": "Libellé français",
}

# KPI labels are declared with their French in the KPI registry; ``t()`` knows them from there
# (a table column or a chart legend named after a KPI).
FR.update({m.label: m.label_fr for m in CARDS.values()})

KPI_HELP_PREFIX = {"en": "Formula: ", "fr": "Formule : "}

# How a page's analysis is computed, in words a reader uses (the function's docstring says it
# for developers, with its column names).
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "channel_performance": (
        "Per reminder channel, the actions dated in the period, their count and cost, and the "
        "cash they brought in: the completed payments of the period that follow an action of "
        "the channel on the same invoice within 14 days, each payment credited to the last "
        "action before it. Paid within 14 days: share of the channel's actions on an invoice "
        "that such a payment followed. Cash per € spent: cash brought in divided by the cost.",
        "Par canal de relance, les actions datées de la période, leur nombre et leur coût, et "
        "l'argent qu'elles ont fait rentrer : les paiements réussis de la période qui suivent "
        "une action du canal sur la même facture dans les 14 jours, chaque paiement attribué à "
        "la dernière action qui le précède. Payé sous 14 jours : part des actions du canal sur "
        "une facture suivies d'un tel paiement. Encaissé par € dépensé : l'encaissé divisé par "
        "le coût.",
    ),
    "customer_behaviour": (
        "Per customer, over the 12 months to the as-of date: its mean CSAT score (1 to 5) "
        "against its payment behaviour. Days late: average days between due date and "
        "settlement of its invoices settled in those months, weighted by amount. Disputes: "
        "its disputed invoices issued in those months. Reminders: its collection actions in "
        "those months.",
        "Par client, sur les 12 mois qui finissent à la date d'arrêté : sa note CSAT moyenne "
        "(de 1 à 5) face à son comportement de paiement. Jours de retard : moyenne, pondérée "
        "par les montants, des jours entre l'échéance et le règlement de ses factures réglées "
        "sur ces mois. Litiges : ses factures en litige émises sur ces mois. Relances : ses "
        "actions de recouvrement sur ces mois.",
    ),
}


def explain(name: str, lang: str = "en") -> str:
    """How the analysis ``name`` is computed, in the reader's words."""
    en, fr = EXPLANATIONS[name]
    return fr if lang == "fr" else en


def t(text: str, lang: str = "en", **values) -> str:
    """Translate English ``text`` into ``lang`` (falling back to English), then format it."""
    out = FR.get(text, text) if lang == "fr" else text
    return out.format(**values) if values else out


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value, lang: str = "en", digits: int = 0) -> str:
    if _missing(value):
        return "—"
    text = f"{value:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text.replace("-", "−") if text.startswith("-") else text


def fmt_money(value, lang: str = "en", currency: str = "EUR", digits: int = 2) -> str:
    """``1 234,56 €`` (fr) or ``€1,234.56`` (en); other currencies by their code."""
    if _missing(value):
        return "—"
    number = fmt_number(abs(value), lang, digits)
    sign = "−" if value < 0 else ""
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, currency)
    if lang == "fr":
        return f"{sign}{number}{NBSP}{symbol}"
    return f"{sign}{symbol}{number}" if len(symbol) == 1 else f"{sign}{number} {symbol}"


def fmt_pct(value, lang: str = "en", digits: int = 1) -> str:
    if _missing(value):
        return "—"
    return (
        f"{fmt_number(value, lang, digits)}{NBSP}%"
        if lang == "fr"
        else f"{fmt_number(value, lang, digits)}%"
    )


def fmt_days(value, lang: str = "en", digits: int = 1) -> str:
    if _missing(value):
        return "—"
    return (
        f"{fmt_number(value, lang, digits)}{NBSP}j"
        if lang == "fr"
        else f"{fmt_number(value, lang, digits)} days"
    )


def fmt_date(value, lang: str = "en") -> str:
    if _missing(value):
        return "—"
    if not isinstance(value, dt.date):
        value = dt.date.fromisoformat(str(value)[:10])
    return value.strftime("%d/%m/%Y") if lang == "fr" else value.isoformat()


def fmt_value(value, unit: str, lang: str = "en", currency: str = "EUR", digits: int = 1) -> str:
    """A value with its unit (``EUR``, ``%``, ``days`` or ``score``); ``digits`` after the
    decimal point, except for money (cents below 10,000, whole units above)."""
    if unit == "EUR":
        return fmt_money(value, lang, currency, digits=0 if abs(value or 0) >= 10000 else 2)
    if unit == "%":
        return fmt_pct(value, lang, digits)
    if unit == "days":
        return fmt_days(value, lang, digits)
    return fmt_number(value, lang, digits)


UNIT_WORDS = {"days": ("days", "jours"), "score": ("score", "note"), "%": ("%", "%")}


def unit_label(unit: str, lang: str = "en", currency: str = "EUR") -> str:
    """A KPI's unit as a reader writes it: the currency for money, "jours" for days…"""
    if unit == "EUR":
        return currency
    en, fr = UNIT_WORDS.get(unit, (unit, unit))
    return fr if lang == "fr" else en


def fmt_kpi(name: str, value, lang: str = "en", currency: str = "EUR") -> str:
    """A KPI's value as its declaration says: its unit and its number of decimals."""
    metric = CARDS[name]
    return fmt_value(value, metric.unit, lang, currency, metric.digits)


def vega_locale(lang: str) -> dict:
    """d3 number and time locale for charts."""
    if lang == "fr":
        return {
            "number": {
                "decimal": ",",
                # a plain no-break space: the charts' fonts draw the narrow one (U+202F) with
                # no width at all in places ("80000")
                "thousands": NBSP,
                "grouping": [3],
                "currency": ["", f"{NBSP}€"],
            },
            "time": {
                "dateTime": "%A %e %B %Y à %X",
                "date": "%d/%m/%Y",
                "time": "%H:%M:%S",
                "periods": ["AM", "PM"],
                "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
                "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
                "months": [
                    "janvier",
                    "février",
                    "mars",
                    "avril",
                    "mai",
                    "juin",
                    "juillet",
                    "août",
                    "septembre",
                    "octobre",
                    "novembre",
                    "décembre",
                ],
                "shortMonths": [
                    "janv.",
                    "févr.",
                    "mars",
                    "avr.",
                    "mai",
                    "juin",
                    "juil.",
                    "août",
                    "sept.",
                    "oct.",
                    "nov.",
                    "déc.",
                ],
            },
        }
    return {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["€", ""]}}


MONEY_COLUMNS = {
    "amount",
    "receivables",
    "current",
    "overdue",
    "credit_sales",
    "collected",
    "collection_cost",
}
PCT_COLUMNS = {
    "overdue_pct",
    "cei",
    "recovery_rate",
    "cost_to_collect",
    "dispute_rate",
    "payment_failure_rate",
    "csat",
}
DAY_COLUMNS = {"dso", "dso_countback", "best_possible_dso", "add", "avg_days_late"}
NUMBER_COLUMNS = {"nps", "ces", "csat_score", "cash_per_cost", "last_score", "score"}


def _digits(name: str) -> int:
    return METRICS[name].digits if name in METRICS else 1


def fmt_datetime(value, lang: str = "en") -> str:
    """A moment to the minute: ``29/11/2026 18:01`` (fr), ``2026-11-29 18:01`` (en)."""
    if _missing(value) or value == "":
        return "—"
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return value.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M")


def _is_count(name: str, dtype) -> bool:
    """A whole number to write with thousands separators (not an id nor a row number)."""
    if dtype is None or not str(dtype).lower().startswith(("int", "uint")):
        return False
    return not (name in ("id", "row") or name.endswith("_id"))


def column_formatters(
    columns, lang: str = "en", currency: str = "EUR", dtypes: dict | None = None
) -> dict:
    """Display formatters by canonical column name: money, percentages, days, dates, moments
    (``*_at``) and, given the columns' types, counts."""
    out = {}
    for col in columns:
        name = str(col)
        if name.endswith("_at"):
            out[col] = partial(fmt_datetime, lang=lang)
            continue
        if _is_count(name, (dtypes or {}).get(col)):
            out[col] = partial(fmt_number, lang=lang)
            continue
        if name.endswith("_eur") or name in MONEY_COLUMNS:
            out[col] = partial(fmt_money, lang=lang, currency=currency, digits=2)
        elif (
            name.endswith("_pct")
            or name in PCT_COLUMNS
            or (name in METRICS and METRICS[name].unit == "%")
        ):
            # a KPI's digits are declared with it (cost to collect, a fraction of a percent: 2)
            out[col] = partial(fmt_pct, lang=lang, digits=_digits(name))
        elif name in DAY_COLUMNS or name.endswith("_days"):
            out[col] = partial(fmt_number, lang=lang, digits=_digits(name))
        elif name in NUMBER_COLUMNS:
            out[col] = partial(fmt_number, lang=lang, digits=0 if name == "last_score" else 1)
        elif name.endswith("_date"):
            out[col] = partial(fmt_date, lang=lang)
        elif str((dtypes or {}).get(col, "")).lower().startswith("float"):
            out[col] = partial(fmt_number, lang=lang, digits=1)  # any other decimal number
    return out
