"""Churn risk in German, French and Spanish, written as its parts like English's (:mod:`nlp.churn`).

Analyser 1.9.0. Each language has the same small vocabularies English has, in its own words and word order:
- an **ending verb** on the relationship or the product (kündigen / résilier / cancelar, "Konto schließen",
  "mettre fin au contrat", "dar de baja la cuenta", "euch durch ... ersetzen", "quitter votre service",
  "dejar la plataforma", "aufhören", "arrêter d'utiliser", "dejar de pagar");
- a **staying word negated** (nicht verlängern, "bleiben nicht mehr Kunde", ne pas renouveler, "ne resterons
  pas clients", no renovar, "no podemos seguir siendo clientes") - here the negation *is* the threat;
- a **move to an alternative** (wechseln zu / umsteigen auf / zur Konkurrenz gehen, passer chez / partir à
  la concurrence / changer de prestataire, cambiarnos a / irnos con la competencia / cambiar de proveedor),
  a **choice** of one (für einen anderen Anbieter entschieden, signé avec un autre fournisseur, elegido a
  otro proveedor), a move to a **named product** ("zu HubSpot" without article; "à HubSpot", "a HubSpot":
  matched on the sentence's own case);
- soft: a **search among alternatives** now or to come (Alternativen suchen / prüfen / Gespräche mit
  anderen Anbietern, chercher des alternatives / évaluer d'autres outils / des devis, buscar alternativas /
  hablar con otros proveedores / presupuestos), a **doubt** about staying ("nicht sicher, ob wir
  verlängern", "pas sûr que nous renouvelions", "no sé si vamos a renovar"), **considering** leaving
  ("überlegen zu kündigen", "envisager de quitter", "planteando cambiar"), **shrinking** (fewer licences,
  the free plan), value gone ("ne vaut plus", "ya no compensa");
- departure idioms ("wir sind raus", "sind wir weg", "on s'en va", "la goutte d'eau", "nos vamos", "la gota
  que colma el vaso", "letzter Monat mit euch").
Not churn, per language: the same words negated in the clause before ("wir wollen nicht kündigen", "nous ne
changerions jamais d'outil", "no vamos a cancelar") or after in German ("kündigen wir nicht", "steht nicht
zur Debatte"); an intent to stay across the comma ("keine Pläne, den Anbieter zu wechseln", "aucune raison
de chercher", "ninguna intención de irnos"); the past that nearly happened (fast, failli, casi, "estuvimos a
punto"); a search that chose us or a stay ("Alternativen geprüft und uns für euch entschieden", "sind aber
geblieben"); hypotheticals (falls wir jemals, si un jour, si algún día); a condition that names no failure
("wenn wir kündigen, ...?"), while a failing or persisting one is a threat, as in English ("falls die Preise
wieder steigen, sind wir weg", "si ça continue, on change", "como siga así, nos cambiamos" - 0.7); cancelling
things that are not the relationship (an invitation, a meeting, an invoice, an export); someone else
leaving (an employee's notice, "Kündigungsrate unserer eigenen Kunden"). Scores as English's: a direct
threat 0.9, a soft signal 0.75, a conditional threat 0.7.

Written before being measured on ``nlp/tests/churn_test_{de,fr,es}.tsv`` (held out) and developed on
``nlp/tests/churn_dev_{de,fr,es}.tsv``; the text is matched lower-cased with plain apostrophes.
"""

from __future__ import annotations

import re

from nlp.prefilter import needs

DIRECT, SOFT, CONDITIONAL = 0.9, 0.75, 0.7
LEAVE, KEPT, NAMED = 0, 1, 2  # cancelled by a negation before it; negation is part of it; matched on case

_W = r"(?:\w+\s+)"  # one word and the space after it


def _de() -> dict:
    rel = (
        r"(?:\w*(?:abo|abonnement|vertrag|konto|account|lizenz|mitgliedschaft|zusammenarbeit|partnerschaft|"
        r"geschäftsbeziehung|kundenbeziehung|subscription)(?:s|es|en|e)?|\w*verträge|\w*konten)\b"
        r"(?!\s+mit\s+(?!euch\b|ihnen\b|clearloop\b))"
    )
    product = (
        r"(?<!durch\s)(?<!mit\s)(?:euch|ihnen|clearloop|(?:euer|eure|euren|eurem|ihr|ihre|ihren|ihrem|"
        r"dies(?:e|es|en|em|er)?|das|die|den|dem)\s+(?:\w+\s+)?(?:tool|produkt|plattform|dienst|service|"
        r"software|lösung|anbieter|system|app|programm))\b"
    )
    alt = (
        r"(?:(?:einen?|einer|einem|eine|ein|den|die|der|dem)\s+)?(?:neu\w*\s+(?:anbieter\w*|"
        r"dienstleister\w*)\b|(?:ander\w*|günstiger\w*|"
        r"billiger\w*|eigen\w*|intern\w*)\s+(?:\w+\s+)?(?:anbieter\w*|tools?|lösung\w*|system\w*|"
        r"plattform\w*|produkt\w*|software|dienstleister\w*|programm\w*|apps?)\b|konkurren\w*|mitbewerber\w*|"
        r"wettbewerber\w*|etwas\s+ander\w*|was\s+ander\w*)"
    )
    alts = rf"(?:{alt}|alternativ\w*|ersatz\b)"
    move = (
        r"(?:wechsel\w*|wechsl\w*|gewechselt|migrier\w*|umsteig\w*|umgestiegen|steig\w*|stieg\w*|geh\w*|"
        r"gegangen|abwander\w*|abgewandert|wander\w*|umzieh\w*|umgezogen)"
    )
    end = (
        r"(?:beend\w*|schlie(?:ß|ss)\w*|geschlossen|auflös\w*|aufgelöst|storn\w*|aufkündig\w*|kündig\w*|"
        r"gekündigt)"
    )
    search = (
        r"(?:such(?:en|e|t|st)|suche\s+nach|schau\w*|umschau\w*|umseh\w*|seh(?:en|e)\s+uns|prüf(?:en|e|t)|"
        r"vergleich(?:en|e|t)|test(?:en|e|et)|evaluier(?:en|e|t)|bewert(?:en|e|et)|angebot\w*|gespräch\w*|"
        r"sprech(?:en|e)\s+mit|verhandl\w*|verhandel\w*|informier(?:en|e)\s+uns|probier(?:en|e|t)|"
        r"ausprobier\w*)"
    )
    stay = (
        r"(?:verlänger\w*|bleib\w*|weitermach\w*|weiter\s+(?:\w+\s+)?(?:nutzen|zahlen|machen|bei)|kunden?\b)"
    )
    end_of_clause = r"(?=\s*(?:$|[.,!;?]))"
    leave = [
        # an ending verb on the relationship, either order (German puts the verb last)
        (rf"\b{end}\s+{_W}{{0,3}}?{rel}", DIRECT),
        (rf"\b{rel}\s+{_W}{{0,4}}?(?:zu\s+)?{end}", DIRECT),
        (rf"\blass\w*\s+{_W}{{0,3}}?{rel}\s+(?:\w+\s+)?(?:auslaufen|ablaufen|enden)\b", DIRECT),
        (r"\b(?:ge)?kündig(?:e|en|t|te|ten|st|ung)?\b(?![^.,;:!?]*\ban\b)", DIRECT),  # not "kündigt ... an"
        (rf"\b{rel}\s+{_W}{{0,3}}?(?:auslaufen|ablaufen)\s+(?:zu\s+)?lass\w*", DIRECT),
        # replacing or leaving the product or the vendor
        (rf"\b{product}\s+{_W}{{0,5}}?(?:ersetz\w*|zu\s+ersetzen|abzulösen|ablös\w*|abgelöst)\b", DIRECT),
        (rf"\b(?:ersetz\w*|ablös\w*)\s+{product}", DIRECT),
        (rf"\bverlass\w*\s+{product}|\b{product}\s+{_W}{{0,2}}?(?:zu\s+)?verlassen\b", DIRECT),
        (r"\bden\s+rücken\s+(?:zu)?(?:kehren|kehrt|gekehrt)|\bkehr\w*\s+(?:\w+\s+){0,2}den\s+rücken", DIRECT),
        # a move to an alternative, either order; a change of provider; a choice of another
        (rf"\b{move}\s+{_W}{{0,4}}?(?:zu|zur|zum|auf|hin\s+zu)\s+{alt}", DIRECT),
        (rf"\b(?:zu|zur|zum|auf)\s+{alt}\s+{_W}{{0,2}}?(?:zu\s+)?{move}", DIRECT),
        (
            r"\b(?:den\s+|unseren\s+)?(?:anbieter|dienstleister|tool|software|plattform|lösung|system)\s+"
            r"(?:zu\s+)?wechseln\b|\banbieterwechsel\w*|\bwechseln\s+(?:den|unseren)\s+anbieter",
            DIRECT,
        ),
        (
            r"\b(?:entschied\w*|entschieden|entscheid\w*|unterschrieb\w*|unterschrieben|unterzeichn\w*|"
            rf"gewählt|wähl\w*|beauftragt)\s+{_W}{{0,2}}?(?:für|bei|mit)\s+{alt}",
            DIRECT,
            r"(?:entschied|entscheid|unterschrieb|unterzeichn|gewählt|wähl|beauftragt)",
        ),
        (rf"\b(?:für|bei|mit)\s+{alt}\s+{_W}{{0,2}}?(?:entschieden|unterschrieben|unterzeichnet)", DIRECT),
        # the intent to leave without an object; stopping; departure idioms
        (
            r"\b(?:wir|ich)\s+(?:\w+\s+){0,2}?(?:wollen|werden|müssen|möchten|will|werde|muss|möchte)\s+"
            rf"(?:\w+\s+){{0,2}}?(?:kündigen|wechseln|gehen|weg|raus|abspringen){end_of_clause}",
            DIRECT,
            r"(?:kündigen|wechseln|gehen|weg|raus|abspringen)",
        ),
        (
            rf"\b(?:wechseln|kündigen|gehen)\s+wir(?:\s+\w+)?{end_of_clause}",
            DIRECT,
            r"(?:wechseln|kündigen|gehen)",
        ),
        (rf"\bwir\s+wechseln{end_of_clause}", DIRECT, r"wechseln"),
        (
            rf"\b(?:wir|ich)\s+(?:hören|höre)\s+(?:jetzt\s+|damit\s+)?auf{end_of_clause}|\bhören\s+wir\s+auf"
            rf"{end_of_clause}|\baufzuhören\b|\baufhören\s+(?:zu\s+)?(?:nutzen|zahlen)\b",
            DIRECT,
        ),
        (rf"\b(?:wir\s+sind|sind\s+wir)\s+(?:dann\s+|hier\s+)?(?:raus|weg){end_of_clause}", DIRECT),
        (r"\bdas\s+war'?s\s+(?:für\s+uns|mit\s+(?:euch|ihnen|clearloop))", DIRECT),
        (
            r"\bletzte\w*\s+(?:monat|jahr|quartal|vertragsjahr)\s+(?:mit|bei)\s+(?:euch|ihnen|clearloop)\b",
            DIRECT,
        ),
        (r"\bfass\s+zum\s+überlaufen|\bletzte\s+tropfen\b", DIRECT),
        # soft: a search among alternatives now (not a past one), considering leaving, shrinking
        (rf"\b{search}\s+{_W}{{0,4}}?(?:nach\s+|mit\s+|von\s+|bei\s+)?{alts}", SOFT),
        (
            rf"\b(?:nach\s+){alts}\s+(?:\w+\s+){{0,2}}?(?:um)?(?:seh|schau|such)\w*",
            SOFT,
            r"(?:umseh|umschau|seh|schau|such)",
        ),
        (
            r"\b(?:in\s+betracht|überleg\w*|denk\w*\s+(?:\w+\s+){0,2}?(?:über|an)|nachdenk\w*|erwäg\w*|"
            r"mit\s+dem\s+gedanken)\W+(?:\w+\W+){0,4}?(?:(?:anbieter)?wechsel\w*|kündig\w*|abwander\w*|"
            r"abzuwandern|verlassen|aufzuhören|aufhören)",
            SOFT,
        ),
        (r"\b(?:anbieter)?wechsel\s+(?:\w+\s+){0,2}?(?:in\s+betracht|nach)\b", SOFT),
        (
            r"\b(?:reduzier\w*|verringer\w*|verkleiner\w*|kürz\w*|herunterstuf\w*|downgrad\w*|streich\w*)\s+"
            r"(?:\w+\s+){0,4}?(?:lizenz\w*|nutzer\w*|plätze|sitze|seats|user\w*|benutzer\w*|arbeitsplätze)\b",
            SOFT,
        ),
        (
            r"\b(?:lizenz\w*|nutzer\w*|plätze|sitze|seats|user\w*|benutzer\w*)\s+(?:\w+\s+){0,3}?(?:zu\s+)?"
            r"(?:reduzier\w*|verringer\w*|verkleiner\w*|kürz\w*|streich\w*)",
            SOFT,
        ),
        (
            r"\b(?:wechsel\w*|geh\w*|steig\w*|downgrad\w*|stuf\w*)\s+(?:\w+\s+){0,3}?(?:auf|in|zu|zum|zur)\s+"
            r"(?:den|die|das|einen|eine|ein)?\s*(?:kostenlos\w*|gratis\w*|kleinst\w*|basis\w*|free)\b",
            SOFT,
        ),
    ]
    kept = [
        # a staying word negated: the negation is the threat
        (r"\b(?:nicht|kaum|keine?n?|nie)\s+(?:mehr\s+)?(?:\w+\s+){0,2}?verlänger\w*", DIRECT),
        (r"\bverlänger\w*\s+(?:\w+\s+){0,3}?(?:nicht|kaum)\b", DIRECT),
        (
            r"\bbleib\w*\s+(?:\w+\s+){0,3}?(?:nicht|kaum)\s+(?:mehr\s+)?(?:\w+\s+)?(?:kunde|kunden|bei\s+"
            r"(?:euch|ihnen)|dabei|treu)\b|\b(?:nicht|kein\w*)\s+(?:mehr\s+)?(?:\w+\s+){0,2}?kunden?\s+"
            r"(?:\w+\s+)?bleiben\b",
            DIRECT,
        ),
        (r"\b(?:nicht|kaum)\s+(?:mehr\s+)?weiter\s*(?:machen|nutzen|zahlen|arbeiten)\b", DIRECT),
        (
            r"\b(?:nicht|nichts|kein\w*)\s+mehr\s+(?:\w+\s+){0,2}?(?:nutzen|verwenden|benutzen|zahlen|"
            r"bezahlen)\b"
            r"|\b(?:nutzen|verwenden|benutzen|zahlen|bezahlen)\s+(?:\w+\s+){0,2}?(?:nicht|nichts)\s+mehr\b",
            DIRECT,
            r"(?:nutzen|verwenden|benutzen|zahlen)",
        ),
        # a doubt about staying
        (
            r"\b(?:nicht\s+(?:sicher|klar|überzeugt)|unsicher|unklar|ungewiss|fraglich|(?:weiß|wissen)\s+"
            r"(?:noch\s+)?nicht|überleg\w*|zweifl\w*|zweifel\w*|bezweifl\w*|frag\w*\s+uns)\W+(?:\w+\W+)?"
            rf"(?:ob|dass|wie\s+lange)\s+(?:\w+\s+){{0,6}}?{stay}",
            SOFT,
        ),
        (
            r"\bnicht\s+mehr\s+(?:zu\s+)?(?:rechtfertigen|vertretbar|gerechtfertigt)\b",
            SOFT,
            r"(?:rechtfertigen|vertretbar|gerechtfertigt)",
        ),
    ]
    named = [
        (
            r"\b(?:[Ww]echsel\w*|[Ww]echsl\w*|gewechselt|[Mm]igrier\w*)\s+(?:\w+\s+){0,4}?zu\s+"
            r"(?!(?:Beginn|Ende|Hause|Anfang|Mittag|Weihnachten|Ostern|Clearloop|Monatsende|Jahresende|"
            r"Quartalsende|Testzwecken|Zwecken)\b)[A-Z]\w+",
            DIRECT,
        ),
        (
            r"\b(?:[Uu]msteig\w*|umgestiegen|[Ss]teig\w*)\s+(?:\w+\s+){0,4}?auf\s+(?!Clearloop\b)[A-Z]\w+",
            DIRECT,
        ),
    ]
    return {
        "patterns": [(*e[:2], LEAVE, *e[2:]) for e in leave]
        + [(*e[:2], KEPT, *e[2:]) for e in kept]
        + [(*e[:2], NAMED, *e[2:]) for e in named],
        "clause": r"[,;:]|\b(?:aber|sondern|und|oder|doch|jedoch|trotzdem|deshalb|daher|weil|denn)\b",
        "neg_before": (
            r"(?:\bnicht|\bkein\w*|\bnie|\bniemals|\bniemand\w*|\bfast|\bbeinahe|\bstatt|\banstatt)\W+"
            r"(?:\w+\W+){0,3}$"
        ),
        "neg_inside": r"\b(?:nicht|nie|niemals|kein\w*)\b",
        "neg_after": (
            r"^\s+(?:(?!weil|wenn|falls|denn|und|aber|dass|ob\b)\w+\s+){0,4}?(?:nicht|nie|niemals|kein\w*)\b"
        ),
        "neg_intent": (
            r"(?:\bkein\w*\s+(?:grund|gründe|pläne|plan|absicht|anlass|interesse|bedarf|lust)|\bnicht\s+"
            r"(?:daran|vor|im\s+traum)|\bniemand\w*|\bkeiner)\W+(?:\w+\W+){0,3}$"
        ),
        "if": r"\b(?:wenn|falls|sofern|es\s+sei\s+denn|ansonsten|sonst|andernfalls)\b|(?:^|[,;]\s*)sollten?"
        r"\b",
        "threat_if": (
            r"\b(?:es\s+sei\s+denn|ansonsten|sonst|andernfalls)\b|(?:\bwenn|\bfalls|\bsofern|\bsollten?)\b"
            r"[^.?!]*(?:\bnicht\b|\bkein\w*|\bnichts\b|\bwieder\b|\bweiter\w*|\bnoch\s+(?:einmal|mal)\b|"
            r"\bsteig\w*|\berhöh\w*|\bteurer\b|\bimmer\s+noch\b|\bso\s+bleibt\b)"
        ),
        "ever": r"\b(?:wenn|falls)\s+(?:\w+\s+){0,3}?(?:jemals|irgendwann|eines\s+tages|je)\b|\bangenommen\b",
        "stayed": r"\bgeblieben\b|\buns\s+für\s+(?:euch|sie|clearloop)\s+entschieden\b|\bbleiben\s+(?:euch"
        r"\s+)?treu\b",
        "guard": (
            r"\b(?:mitarbeiter\w*|kolleg\w*|angestellt\w*|newsletter|unser\w*\s+(?:eigenen\s+)?kunden|"
            r"kunden\s+unser\w*)\b"
        ),
    }


def _fr() -> dict:
    rel = (
        r"(?:notre|nos|mon|mes|l'|le|la|les|cet|cette|ce|votre|vos|au|du)\s*(?:\w+\s+)?(?:abonnement|compte|"
        r"contrat|licence|souscription|forfait|adhésion|engagement|partenariat|collaboration|relation)s?\b"
    )
    product = (
        r"(?:clearloop|(?:votre|vos|cette|ce|cet|la|le|l')\s*(?:\w+\s+)?(?:outil|produit|plateforme|service|"
        r"logiciel|solution|fournisseur|prestataire|application|appli|système)s?\b)"
    )
    noun = (
        r"(?:outil|fournisseur|prestataire|solution|plateforme|logiciel|éditeur|produit|service|système|"
        r"application)s?"
    )
    alt = (
        rf"(?:(?:un|une|l'|le|la|les|des|d')\s*)?(?:(?:autres?)\s+(?:\w+\s+)?{noun}\b|(?:nouvel|nouveau|"
        rf"nouvelle)\s+"
        r"(?:fournisseur|prestataire|éditeur)s?\b|"
        r"(?:outil|solution|produit|logiciel|plateforme)s?\s+(?:concurrent\w*|interne\w*|maison|"
        r"moins\s+cher\w*)"
        r"\b|concurren\w*)"
    )
    alts = rf"(?:{alt}|(?:des\s+|une\s+|d')?alternatives?\b|(?:d')?autres\s+(?:options|offres)\b|ailleurs\b)"
    move = r"(?:pass\w*|part(?:ir|ons|irons|ent|ira|e)|migr\w*|bascul\w*|all(?:er|ons)|irons|déménag\w*)"
    end = (
        r"(?:résili\w*|annul\w*|ferm\w*|clôtur\w*|arrêt\w*|supprim\w*|mett\w*\s+fin|mis\s+fin|rompr\w*|"
        r"romp\w*|dénonc\w*)"
    )
    search = (
        r"(?:cherch(?:e|ons|er|erons)|recherch(?:e|ons|er)|regard(?:e|ons|er)|évalu(?:e|ons|er)|"
        r"compar(?:e|ons|er)|test(?:e|ons|er)|essay(?:e|ons|er)|étudi(?:e|ons|er)|"
        r"explor(?:e|ons|er)|consult(?:e|ons|er)|discut(?:e|ons|er)\s+avec|parl(?:e|ons|er)\s+"
        r"(?:à|avec)|échang(?:e|eons|er)\s+avec|devis|rencontr(?:e|ons|er)|trouv(?:er|erons|ons)|"
        r"lorgn\w*|appel\s+d'offres)"
    )
    stay = (
        r"(?:renouvel\w*|renouvell\w*|reconduir\w*|prolong\w*|continu\w*|rest\w*\s+(?:\w+\s+)?(?:clients?|"
        r"chez|"
        r"avec|fidèles)|rest(?:er|ions|erons)(?=\s*(?:$|[.,!;?])))"
    )
    end_of_clause = r"(?=\s*(?:$|[.,!;?]))"
    leave = [
        (rf"\b{end}\s+(?:à\s+|au\s+)?{_W}{{0,2}}?{rel}", DIRECT),
        (r"\brésili(?:er|ons|ez|erons|erai|era|eront|é|ée|és|ées|ions|ation|ations)\b", DIRECT),
        (rf"\blaiss\w*\s+{rel}\s+(?:expirer|s'éteindre|arriver\s+à\s+(?:échéance|terme))", DIRECT),
        (r"\b(?:arrêt\w*)\s+(?:d'utiliser|de\s+(?:payer|travailler\s+avec|nous\s+servir|vous))", DIRECT),
        (rf"\bquitt\w*\s+{product}|\bvous\s+quitt\w*|\bremplac\w*\s+{product}|\bvous\s+remplac\w*", DIRECT),
        (rf"\b(?:vous|le|la|les|l')\s*laiss\w*\s+tomber|\blaiss\w*\s+tomber\s+{product}", DIRECT),
        (rf"\b{move}\s+{_W}{{0,3}}?(?:à|au|aux|chez|vers|pour|sur)\s+{alt}", DIRECT),
        (rf"\bchang\w*\s+(?:\w+\s+)?(?:de|d')\s*{noun}\b", DIRECT),
        (
            rf"\b(?:choisi|opté\s+pour|opter\s+pour|sign(?:é|er|ons)\s+avec|retenu|sélectionné)\s+{alt}",
            DIRECT,
        ),
        (
            r"\b(?:on\s+s'en\s+va|nous\s+nous\s+en\s+allons|on\s+s'en\s+ira|on\s+arrête(?:\s+(?:tout|là))?|"
            r"nous\s+arrêtons(?:\s+(?:tout|là))?|on\s+(?:va\s+)?change(?:r)?|nous\s+(?:allons\s+(?:\w+\s+)?)?"
            rf"changer|on\s+part|nous\s+partons|on\s+résilie){end_of_clause}",
            DIRECT,
        ),
        (rf"\b(?:partir|quitter){end_of_clause}", DIRECT),
        (r"\bgoutte\s+d'eau\s+qui\s+fait\s+déborder|\bla\s+goutte\s+de\s+trop", DIRECT),
        (
            r"\b(?:dernier|dernière)\s+(?:mois|année|trimestre|an)\s+(?:avec|chez)\s+(?:vous|clearloop)\b",
            DIRECT,
        ),
        (rf"\b{search}\s+{_W}{{0,3}}?(?:à\s+|avec\s+|chez\s+|auprès\s+(?:de\s+|d'))?{alts}", SOFT),
        (
            r"\b(?:envisag\w*|réfléchi\w*\s+à|pens\w*\s+à|song\w*\s+à|considér\w*|tentés?\s+de)\s+"
            r"(?:\w+\s+){0,2}?(?:de\s+|d')?(?:résili\w*|annul\w*|partir|quitter|changer|migrer|arrêter)",
            SOFT,
        ),
        (
            r"\b(?:rédui\w*|réduir\w*|diminu\w*|baiss\w*)\s+(?:\w+\s+){0,3}?(?:d')?(?:licences|utilisateurs|"
            r"sièges|postes|comptes|places)\b",
            SOFT,
        ),
        (
            r"\b(?:pass\w*|bascul\w*|rétrograd\w*)\s+(?:\w+\s+){0,2}?(?:à|au|vers|sur)\s+(?:la\s+|le\s+|l')?"
            r"(?:version|offre|formule|plan|forfait)\s+(?:gratuit\w*|basique|de\s+base|inférieur\w*)",
            SOFT,
        ),
    ]
    kept = [
        (
            r"\bne\s+(?:l'|le\s+|la\s+|les\s+)?(?:renouvel|renouvell|reconduir|reconduis|prolong)\w*\s+"
            r"(?:\w+\s+)?(?:pas|plus|jamais)\b|\b(?:pas|plus|jamais)\s+(?:le\s+|la\s+|l')?(?:renouvel|"
            r"renouvell|"
            r"reconduir|prolong)\w*|\bn'\w+\s+(?:pas|plus)\s+(?:\w+\s+)?(?:renouvel|renouvell|reconduir|"
            r"prolong)"
            r"\w*|\b(?:pas|plus)\s+de\s+(?:renouvellement|reconduction|prolongation)\b",
            DIRECT,
            r"(?:renouvel|renouvell|reconduir|reconduis|reconduction|prolong)",
        ),
        (
            r"\bne\s+rest\w*\s+(?:pas|plus|jamais)\s+(?:\w+\s+)?(?:clients?|chez\s+vous|avec\s+vous|fidèles"
            r")\b|"
            r"\bne\s+continu\w*\s+(?:pas|plus)\b|\b(?:pas|plus)\s+continuer\b",
            DIRECT,
        ),
        (
            r"\b(?:pas\s+(?:sûr|sûrs|sûre|sûres|certain\w*|convaincu\w*)|doute\w*|incertain\w*|(?:ne\s+)?"
            r"(?:pense|pensons|crois|croyons)\s+pas|(?:ne\s+)?(?:sais|savons)\s+pas|(?:demand|interrog|"
            r"réfléchiss)"
            rf"\w*\s+(?=si|s'))\W*(?:\w+\s+)?(?:que|qu'|si|s'|de|d')\s*(?:\w+\s+){{0,4}}?{stay}",
            SOFT,
        ),
        (r"\bne\s+vaut\s+plus\b|\bn'est\s+plus\s+(?:justifiable|rentable)|\bplus\s+justifiable\b", SOFT),
    ]
    named = [
        (
            r"\b(?:[Pp]ass\w*|[Mm]igr\w*|[Bb]ascul\w*|[Pp]art(?:ir|ons|irons))\s+(?:\w+\s+){0,4}?"
            r"(?:à|vers|sur|chez)\s+(?!Clearloop\b)[A-Z]\w+",
            DIRECT,
        ),
    ]
    return {
        "patterns": [(*e[:2], LEAVE, *e[2:]) for e in leave]
        + [(*e[:2], KEPT, *e[2:]) for e in kept]
        + [(*e[:2], NAMED, *e[2:]) for e in named],
        "clause": r"[,;:]|\b(?:mais|et|ou|donc|car|pourtant|cependant|toutefois|parce\s+que)\b",
        "neg_before": (
            r"(?:\bne|\bn'|\bjamais|\bpas|\baucun\w*|\bpersonne|\brien|\bfailli|\bpresque|\bau\s+lieu\s+d)"
            r"(?:\W*\w+){0,3}\W*$"
        ),
        "neg_inside": r"\bne\b|\bn'|\bpas\b|\bjamais\b",
        "neg_after": None,
        "neg_intent": (
            r"(?:\baucun\w*\s+(?:raison|intention|envie|projet|plan|besoin)|\bpas\s+(?:l'intention|question|"
            r"envie|prévu)|\bhors\s+de\s+question|\bpersonne)(?:\W*\w+){0,4}\W*$"
        ),
        "if": (
            r"\bsi\s+(?:(?:le|la|les|l'|ce|ça|cela|vous|nous|on|rien|personne|un|une|d'ici)\b|\w+\s+(?:ne|n"
            r"'))|"
            r"\bs'ils?\b|\bsauf\s+si\b|\bà\s+moins\s+qu|\bsinon\b|\bau\s+cas\s+où"
        ),
        "threat_if": (
            r"\bsinon\b|\bà\s+moins\s+qu|\bsauf\s+si|(?:\bsi\b|\bs'il)[^.?!]*(?:\bne\b|\bn'|\bpas\b|"
            r"\bencore\b|"
            r"\bcontinu\w*|\btoujours\b|\baugment\w*|\brien\b|\bà\s+nouveau\b|\bde\s+nouveau\b|\bpersist\w*|"
            r"\brecommence\w*)"
        ),
        "ever": r"\bsi\s+(?:un\s+jour|jamais|par\s+hasard|d'aventure)\b|\bau\s+cas\s+où",
        "stayed": r"\b(?:choisi|retenu|gardé)\s+(?:clearloop|vous)\b|\bsommes\s+restés\b|\bvous\s+avons\s+("
        r"?:choisi|retenu|gardé)\b",
        "guard": r"\b(?:collègue\w*|employé\w*|salarié\w*|stagiaire\w*|newsletter|nos\s+(?:propres\s+)?clie"
        r"nts)\b",
    }


def _es() -> dict:
    rel = (
        r"(?:la|el|los|las|nuestra|nuestro|nuestras|nuestros|mi|mis|esta|este)\s+(?:\w+\s+)?(?:suscripci(?:"
        r"ón|"
        r"ones)|cuentas?|contratos?|servicio|plan|licencias?|membresía|abono)\b"
    )
    product = (
        r"(?:ustedes|vosotros|clearloop|(?:la|el|su|vuestra|vuestro|esta|este)\s+(?:\w+\s+)?(?:herramienta|"
        r"plataforma|producto|servicio|software|solución|aplicación|app|sistema|proveedor))\b"
    )
    noun = (
        r"(?:proveedor|proveedores|herramientas?|plataformas?|soluci(?:ón|ones)|sistemas?|software|"
        r"productos?|"
        r"servicios?|aplicaci(?:ón|ones)|empresas?)"
    )
    alt = (
        rf"(?:(?:un|una|el|la|los|las|al)\s+)?(?:nuev[oa]s?\s+proveedor(?:es)?\b|(?:otr[oa]s?|distint[oa]s?"
        rf"|diferentes?)\s+"
        rf"(?:\w+\s+)?{noun}|(?:herramientas?|soluci(?:ón|ones)|plataformas?|productos?|software|sistemas?)"
        rf"\s+"
        r"(?:de\s+la\s+competencia|propi[oa]s?|interna?s?|más\s+barat[oa]s?|competidor\w*|rival\w*)|"
        r"(?:la\s+)?competencia|competidor\w*)\b"
    )
    alts = (
        rf"(?:{alt}|alternativas?\b|otr[oa]s?\s+(?:\w+\s+)?(?:opci(?:ón|ones)|ofertas?)\b|reemplazo\b|"
        rf"sustituto\b)"
    )
    move = (
        r"(?:cambi\w*|pas(?:amos|aremos|ar|arnos|emos)|migr\w*|mud\w*|vamos|iremos|irnos|ir|marchamos|"
        r"marcharnos|trasladar\w*)"
    )
    end = (
        r"(?:cancel\w*|cerr\w*|cierr\w*|finaliz\w*|rescind\w*|anul\w*|(?:dar|damos|den|daremos|demos)\s+de\s+"
        r"baja|(?:poner|ponemos|pondremos|ponen)\s+fin\s+a)"
    )
    search = (
        r"(?:busc(?:ar|amos|ando|aremos|a)|mir(?:ar|amos|ando|aremos)|evalu(?:ar|amos|ando|aremos|a)|"
        r"compar(?:ar|amos|ando)|prob(?:ar|amos|ando)|analiz(?:ar|amos|ando)|estudi(?:ar|amos|ando)|"
        r"explor(?:ar|amos|ando)|habl(?:ar|amos|ando)\s+con|conversaciones\s+con|negoci(?:ar|amos|"
        r"ando)\s+con|"
        r"reuni(?:mos|endo|rnos)\s+con|presupuestos?|cotizaci\w*|ofertas?\s+de|consult(?:ar|amos|ando))"
    )
    stay = (
        r"(?:renov\w*|sig(?:amos|a|an)\b|segui\w*|continu\w*|qued(?:arnos|emos|aremos|amos)\s+(?:con|como)|"
        r"quedarnos|mantener\w*)"
    )
    end_of_clause = r"(?=\s*(?:$|[.,!;?]))"
    leave = [
        (rf"\b{end}\s+{_W}{{0,2}}?{rel}", DIRECT),
        (
            r"\b(?:cancel(?:ar|amos|aremos|aré|o)|darnos\s+de\s+baja|nos\s+(?:damos|daremos|"
            r"demos)\s+de\s+baja|"
            r"me\s+doy\s+de\s+baja)(?=\s*(?:$|[.,!;]|(?:ya|todo|pronto|hoy|en\s+cuanto|a\s+final|al\s+final"
            r"|si|"
            r"el\s+(?:mes|año|próximo))\b))",
            DIRECT,
        ),
        (
            r"\b(?:notificación|solicitud|aviso|carta|petición)\s+de\s+(?:la\s+)?(?:cancelación|baja|"
            r"rescisión)|"
            r"\bcancelación\s+de\s+(?:la|nuestra|mi)\s+(?:suscripción|cuenta|contrato)",
            DIRECT,
        ),
        (
            r"\btermin\w*\s+(?:la|nuestra)\s+(?:relación|colaboración)|\btermin\w*\s+con\s+(?:ustedes|"
            r"vosotros)",
            DIRECT,
        ),
        (rf"\bdej\w*\s+{product}|\bdej\w*\s+de\s+(?:usar|utilizar|pagar|trabajar\s+con)\b", DIRECT),
        (rf"\b(?:lo|la|los|las)\s+(?:\w+\s+){{0,2}}?dej(?:ar|aremos|amos|o){end_of_clause}", DIRECT),
        (
            r"\bdej\w*\s+que\s+(?:\w+\s+){0,2}?(?:contrato|suscripción|licencia)\s+(?:expire|venza|caduque)",
            DIRECT,
        ),
        (
            rf"\b(?:reemplaz|sustitu)\w*\s+(?:a\s+)?{product}\s+por|\b(?:reemplaz|sustitu)\w*(?:los|las)\s+"
            rf"por"
            r"|\b(?:los|las|les)\s+(?:vamos\s+a\s+)?(?:reemplaz|sustitu)\w*\s+por",
            DIRECT,
            r"(?:reemplaz|sustitu)",
        ),
        (rf"\b{move}\s+{_W}{{0,3}}?(?:a|al|con|hacia|por)\s+{alt}", DIRECT),
        (rf"\bcambi\w*\s+(?:de|el|la)\s+{noun}\b", DIRECT),
        (
            r"\b(?:elegi\w*|elegido|eleg\w*|escog\w*|firm\w*\s+con|contrat\w*|optado\s+por|opt\w*\s+por|"
            rf"decidido\s+por|(?:nos\s+)?quedamos\s+con)\s+(?:a\s+)?{alt}",
            DIRECT,
        ),
        (
            r"\b(?:nos\s+vamos|nos\s+iremos|nos\s+marchamos|nos\s+cambiamos|nos\s+cambiaremos|"
            r"nos\s+cambiemos|"
            rf"irnos|marcharnos|cambiarnos|cambiarse|nos\s+largamos){end_of_clause}",
            DIRECT,
        ),
        (r"\bgota\s+que\s+colma\s+el\s+vaso|\bla\s+última\s+gota\b", DIRECT),
        (r"\búltim[oa]\s+(?:mes|año|trimestre)\s+con\s+(?:ustedes|vosotros|clearloop)\b", DIRECT),
        (rf"\b{search}\s+{_W}{{0,3}}?(?:a\s+|con\s+|de\s+|entre\s+)?{alts}", SOFT),
        (
            r"\b(?:plante\w*|pensando\s+en|pensamos\s+en|considerando|consideramos|contemplando|barajando)\s+"
            r"(?:\w+\s+){0,2}?(?:cancel\w*|dejar\w*|irnos|cambiar\w*|darnos\s+de\s+baja|marcharnos|abandon"
            r"\w*)",
            SOFT,
        ),
        (
            r"\b(?:reduc\w*|reduci\w*|disminu\w*|recort\w*|baj(?:ar|amos|aremos))\s+(?:\w+\s+){0,4}?"
            r"(?:licencias|usuarios|puestos|asientos|plazas)\b",
            SOFT,
        ),
        (
            r"\b(?:pas\w*|cambi\w*|baj\w*)\s+(?:\w+\s+){0,2}?(?:a|al)\s+(?:la\s+|el\s+)?(?:plan\s+|versión"
            r"\s+|"
            r"tarifa\s+|modalidad\s+)?(?:gratuit\w*|gratis|básic\w*|inferior)\b",
            SOFT,
            r"(?:gratuit|gratis|básic|inferior)",
        ),
    ]
    kept = [
        (r"\bno\s+(?:lo\s+|la\s+|los\s+)?(?:\w+\s+){0,2}?renov\w*", DIRECT),
        (
            r"\bno\s+(?:\w+\s+){0,2}?(?:seguir|seguiremos|seguimos|continuar|continuaremos|quedarnos|"
            r"quedaremos)\s+"
            r"(?:\w+\s+)?(?:siendo\s+clientes|con\s+ustedes|con\s+vosotros|con\s+clearloop|con\s+la\s+"
            r"(?:herramienta|plataforma))\b",
            DIRECT,
            r"(?:seguir|seguiremos|seguimos|continuar|continuaremos|quedarnos|quedaremos)",
        ),
        (
            r"\b(?:(?:no\s+(?:estoy|estamos)\s+segur\w*|no\s+(?:sé|sabemos)|dud\w*|no\s+(?:creo|creemos)|"
            r"no\s+(?:tengo|tenemos)\s+claro)\s+(?:\w+\s+)?(?:si|que|de)?|(?:valor|plante|pens)\w*\s+(?:\w+"
            r"\s+)?"
            rf"si)\s*(?:\w+\s+){{0,4}}?{stay}",
            SOFT,
        ),
        (
            r"\bya\s+no\s+(?:nos\s+)?(?:compensa|merece\s+la\s+pena|vale\s+la\s+pena|sale\s+a\s+cuenta|"
            r"se\s+justifica)",
            SOFT,
        ),
    ]
    named = [
        (
            r"\b(?:[Cc]ambi\w*|[Pp]as(?:amos|aremos|ar|arnos|emos)|[Mm]igr\w*|[Mm]ud\w*|[Vv]amos)\s+"
            r"(?:\w+\s+){0,4}?(?:a|al|hacia)\s+(?!Clearloop\b)[A-Z]\w+",
            DIRECT,
        ),
    ]
    return {
        "patterns": [(*e[:2], LEAVE, *e[2:]) for e in leave]
        + [(*e[:2], KEPT, *e[2:]) for e in kept]
        + [(*e[:2], NAMED, *e[2:]) for e in named],
        "clause": r"[,;:]|\b(?:pero|y|o|sino|aunque|porque|así\s+que|sin\s+embargo)\b",
        "neg_before": (
            r"(?:\bno|\bnunca|\bjamás|\bni|\bnadie|\bningun\w*|\bningún|\bcasi|\bestuv\w*\s+a\s+punto|"
            r"\ben\s+vez\s+de)\W+(?:\w+\W+){0,3}$"
        ),
        "neg_inside": r"\b(?:no|nunca|jamás)\b",
        "neg_after": None,
        "neg_intent": (
            r"(?:\bno\s+(?:hay|tenemos|tengo|vemos)\s+(?:\w+\s+){0,2}?(?:motivos?|razón|razones|intención|"
            r"planes|"
            r"plan|necesidad|ganas)|\bninguna\s+intención|\bni\s+se\s+(?:nos|me)\s+pasa\s+por\s+la\s+cabeza|"
            r"\bni\s+(?:hablar|de\s+broma|loco)|\bnadie)\W+(?:\w+\W+){0,4}$"
        ),
        "if": r"\b(?:si|a\s+menos\s+que|salvo\s+que|de\s+lo\s+contrario|en\s+caso\s+de\s+que|como\s+(?:siga"
        r"n?|continúen?|vuelvan?|no))\b",
        "threat_if": (
            r"\ba\s+menos\s+que|\bsalvo\s+que|\bde\s+lo\s+contrario|\bcomo\s+(?:sigan?|continúen?|vuelvan?|"
            r"no)\b|"
            r"\bsi\b[^.?!]*(?:\bno\b|\bvuelven?\s+a|\botra\s+vez|\bde\s+nuevo|\bsigue|\bsiguen|\bcontinúa\w*|"
            r"\bsub\w*|\baument\w*|\bnada\b|\bpersiste\w*)"
        ),
        "ever": (
            r"\bsi\s+(?:algún\s+día|alguna\s+vez|en\s+algún\s+momento)\b|\ben\s+caso\s+de\s+que\b|"
            r"\bpor\s+si\b|"
            r"\bsi\s+(?:\w+\s+){0,2}?tuviéramos\s+que\b"
        ),
        "stayed": (
            r"\b(?:elegimos|escogimos|elegido|escogido|nos\s+quedamos\s+con)\s+(?:a\s+)?(?:clearloop|ustedes|"
            r"vosotros)\b"
        ),
        "guard": (
            r"\b(?:compañer[oa]s?|emplead[oa]s?|colegas?|trabajador\w*|boletín|newsletter|"
            r"nuestros\s+(?:propios\s+)?"
            r"clientes)\b"
        ),
    }


def _trie(words: set[str]) -> str:
    """A regex matching any of ``words``, their common prefixes factored out (``re`` tries a flat
    alternation's every branch at every position; a trie follows one path)."""
    if not words:
        return ""
    if "" in words:
        rest = _trie(words - {""})
        return f"(?:{rest})?" if rest else ""
    heads: dict[str, set[str]] = {}
    for w in words:
        heads.setdefault(w[0], set()).add(w[1:])
    alts = [re.escape(h) + _trie(tails) for h, tails in sorted(heads.items())]
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _lower_case_gate(pattern: str) -> str:
    """A named-product pattern's words, matched on the lower-cased sentence: its ``[Xx]`` letters lower-cased
    (every match of the pattern on the sentence has a match of its verb part in the lower-cased sentence)."""
    return re.sub(r"\[([A-Z])([a-z])\]", r"\2", pattern.split(r"\s+", 1)[0])


class _Lang:
    """One language's compiled churn patterns and checks.

    Each pattern carries the words one of which its every match contains (:func:`nlp.prefilter.needs`), of
    the pattern itself or, when given, of an *anchor*: a part every match must contain (its verbs rather
    than a common preposition or pronoun). A named-product pattern, run on the sentence's own case, is gated
    on its lower-cased verb part. ``gate`` is every pattern's words together: a sentence with none of them
    has no churn phrase (one scan instead of one per pattern)."""

    def __init__(self, spec: dict) -> None:
        self.patterns = []
        for p, score, kind, *anchor in spec["patterns"]:
            pat = re.compile(p)
            if kind == NAMED and not anchor:
                anchor = [_lower_case_gate(p)]
            words = needs(re.compile(anchor[0])) if anchor else needs(pat)
            assert words, p  # every pattern is gated (the gate below relies on it)
            self.patterns.append((pat, words, score, kind))
        self.patterns.sort(key=lambda e: -e[2])  # direct before soft: a direct match ends the search
        self.gate = re.compile(_trie({w for e in self.patterns for w in e[1]}))
        self.clause = re.compile(spec["clause"])
        self.neg_before = re.compile(spec["neg_before"])
        self.neg_inside = re.compile(spec["neg_inside"])
        self.neg_after = re.compile(spec["neg_after"]) if spec["neg_after"] else None
        self.neg_intent = re.compile(spec["neg_intent"])
        self.if_ = re.compile(spec["if"])
        self.threat_if = re.compile(spec["threat_if"])
        self.ever = re.compile(spec["ever"])
        self.stayed = re.compile(spec["stayed"])
        self.guard = re.compile(spec["guard"])


LANGS: dict[str, _Lang] = {"de": _Lang(_de()), "fr": _Lang(_fr()), "es": _Lang(_es())}


def churn_risk(sentence: str, low: str, lang: str) -> tuple[float, int, int] | None:
    """(score, start, end) of the strongest churn-risk evidence in one de/fr/es sentence (``low``: its
    lower-cased form with plain apostrophes; ``sentence`` the same with its own case), or None."""
    spec = LANGS[lang]
    if spec.gate.search(low) is None:
        return None  # none of any pattern's words
    best: tuple[float, int, int] | None = None
    checked = False
    for pat, words, score, kind in spec.patterns:
        if best is not None and score < best[0]:
            break
        if not any(map(low.__contains__, words)):
            continue  # none of the words every match contains (nlp.prefilter.may_match, inlined)
        text = sentence if kind == NAMED else low
        for m in pat.finditer(text):
            if not checked:  # sentence-level: someone else leaving, or a stay stated
                if spec.guard.search(low) or spec.stayed.search(low):
                    return None
                checked = True
            s = _judge(spec, low, m.start(), m.end(), score, kind)
            if s is not None and (best is None or s > best[0]):
                best = (s, m.start(), m.end())  # the surest, the first pattern's at equal scores
    return best


def _judge(spec: _Lang, low: str, start: int, end: int, score: float, kind: int) -> float | None:
    """The match's score after negation, hypothetical and conditional checks (None: not churn)."""
    before = low[:start]
    if kind != KEPT:
        if spec.neg_inside.search(low, start, end):
            return None  # a negator inside a gap of the phrase: "wir wollen nicht kündigen"
        cut = max((c.end() for c in spec.clause.finditer(before)), default=0)
        if spec.neg_before.search(before[cut:]) or spec.neg_intent.search(before):
            return None
        if spec.neg_after is not None:
            after = low[end:]
            stop = spec.clause.search(after)
            if spec.neg_after.search(after[: stop.start()] if stop else after):
                return None
    if spec.if_.search(before) or spec.if_.search(low[end:]):
        # a condition (outside the match: "whether" in a doubt is part of it): a threat when it names a
        # failure or persistence, else a hypothetical
        if spec.ever.search(low):
            return None
        return min(score, CONDITIONAL) if spec.threat_if.search(low) else None
    return score
