"""German, French and Spanish phrase banks for demo comments from contacts who answer in their language.

Clauses start in lower case with no final stop, as in phrases_en.py; {integration} and {csm} are slots.
"""

from __future__ import annotations

LANGS: dict[str, dict[str, object]] = {
    "de": {
        "positive": {
            "performance": ["die Plattform läuft schnell und stabil", "die Dashboards laden sofort"],
            "support": [
                "der Support antwortet schnell und kompetent",
                "{csm} kümmert sich hervorragend um uns",
            ],
            "integrations": [
                "die {integration}-Integration funktioniert einwandfrei",
                "die Anbindung an {integration} spart uns viel Zeit",
            ],
            "reporting": ["die Berichte sind übersichtlich", "die Auswertungen sind genau, was wir brauchen"],
            "usability": ["die Oberfläche ist intuitiv", "neue Kollegen finden sich sofort zurecht"],
            "onboarding": ["das Onboarding war hervorragend organisiert"],
            "pricing": ["das Preis-Leistungs-Verhältnis stimmt"],
            "security": ["SSO mit Azure AD funktioniert problemlos"],
        },
        "negative": {
            "performance": ["das System ist in letzter Zeit sehr langsam", "große Dashboards laden ewig"],
            "support": [
                "auf Antworten vom Support warten wir tagelang",
                "Tickets werden ohne Lösung geschlossen",
            ],
            "integrations": [
                "die Synchronisation mit {integration} bricht ständig ab",
                "nach jedem Sync gibt es Dubletten in {integration}",
            ],
            "reporting": ["Exporte nach Excel sind fehlerhaft", "die Berichte sind zu unflexibel"],
            "usability": ["die Bedienung ist umständlich", "man braucht zu viele Klicks für einfache Dinge"],
            "pricing": [
                "der Preis ist für uns deutlich zu hoch",
                "die Preiserhöhung war nicht nachvollziehbar",
            ],
            "bugs": ["nach jedem Update gibt es neue Fehler"],
            "billing": ["die Rechnungen sind unübersichtlich"],
            "docs": ["die Dokumentation ist veraltet"],
        },
        "and": "und",
        "but": "aber",
        "csm": "unser Kundenbetreuer",
        "openers": {
            "positive": ["Sehr zufrieden.", "Tolles Produkt.", ""],
            "mixed": ["Im Großen und Ganzen gut.", ""],
            "negative": ["Leider enttäuschend.", "Zurzeit nicht zufrieden.", ""],
        },
        "short": {
            "positive": ["Super Tool!", "Sehr gut.", "Klare Empfehlung."],
            "mixed": ["Ganz okay."],
            "negative": ["Zu teuer.", "Zu langsam."],
        },
    },
    "fr": {
        "positive": {
            "performance": [
                "la plateforme est rapide et fiable",
                "les tableaux de bord s'affichent instantanément",
            ],
            "support": ["le support est réactif et efficace", "{csm} est toujours disponible pour nous"],
            "integrations": ["l'intégration {integration} fonctionne parfaitement"],
            "reporting": ["les rapports sont clairs et complets"],
            "usability": ["l'interface est intuitive", "nos équipes l'ont adopté très vite"],
            "onboarding": ["l'onboarding s'est très bien passé"],
            "pricing": ["le rapport qualité-prix est bon"],
        },
        "negative": {
            "performance": [
                "l'outil est très lent depuis quelques semaines",
                "les exports prennent une éternité",
            ],
            "support": [
                "le support met des jours à répondre",
                "on nous renvoie toujours vers la documentation",
            ],
            "integrations": ["la synchronisation avec {integration} échoue régulièrement"],
            "reporting": ["les rapports manquent de flexibilité"],
            "usability": ["l'interface est compliquée", "il faut trop de clics pour des tâches simples"],
            "pricing": [
                "le prix est trop élevé pour ce que nous utilisons",
                "la hausse de prix est difficile à justifier",
            ],
            "bugs": ["chaque mise à jour apporte de nouveaux bugs"],
            "billing": ["la facturation est source d'erreurs"],
        },
        "and": "et",
        "but": "mais",
        "csm": "notre chargée de compte",
        "openers": {
            "positive": ["Très satisfaits.", "Excellent outil.", ""],
            "mixed": ["Globalement bien.", ""],
            "negative": ["Déçus.", "Pas satisfaits en ce moment.", ""],
        },
        "short": {
            "positive": ["Top !", "Très bien.", "Je recommande."],
            "mixed": ["Correct."],
            "negative": ["Trop cher.", "Trop lent."],
        },
    },
    "es": {
        "positive": {
            "performance": ["la plataforma es rápida y estable", "los paneles cargan al instante"],
            "support": ["el soporte responde rápido y con conocimiento", "{csm} siempre nos ayuda"],
            "integrations": ["la integración con {integration} funciona de maravilla"],
            "reporting": ["los informes son claros y útiles"],
            "usability": ["la interfaz es muy intuitiva", "el equipo lo adoptó enseguida"],
            "onboarding": ["la puesta en marcha fue muy sencilla"],
            "pricing": ["la relación calidad-precio es buena"],
        },
        "negative": {
            "performance": ["la aplicación va muy lenta últimamente", "las exportaciones tardan muchísimo"],
            "support": ["el soporte tarda días en contestar", "cierran los tickets sin resolver el problema"],
            "integrations": ["la sincronización con {integration} falla cada semana"],
            "reporting": ["los informes son poco flexibles"],
            "usability": ["la interfaz es confusa", "cuesta mucho formar a la gente nueva"],
            "pricing": ["es demasiado caro para lo que usamos", "la subida de precio no tiene sentido"],
            "bugs": ["cada actualización trae errores nuevos"],
            "billing": ["las facturas son confusas"],
        },
        "and": "y",
        "but": "pero",
        "csm": "nuestro gestor de cuenta",
        "openers": {
            "positive": ["Muy contentos.", "Gran herramienta.", ""],
            "mixed": ["En general bien.", ""],
            "negative": ["Decepcionados.", "No estamos contentos.", ""],
        },
        "short": {
            "positive": ["¡Excelente!", "Muy bien.", "Lo recomiendo."],
            "mixed": ["Está bien."],
            "negative": ["Demasiado caro.", "Muy lento."],
        },
    },
}
