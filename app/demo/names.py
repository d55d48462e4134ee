"""Word lists for the demo company's customers: company names, regions, industries, people and titles.

All domains end in ``.example`` (reserved by RFC 2606), so demo contacts can never be real mailboxes even
when a real SMTP relay is configured.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    """A word list written as whitespace-separated words (``_`` stands for a space inside a word)."""
    return [word.replace("_", " ") for word in text.split()]


VENDOR = "Tallyworks"  # the fictional B2B SaaS company whose customers the demo data describes

COMPANY_STEMS = {
    "en": _words(
        """
        Northwind Bluepeak Ironclad Harborline Summitview Lumen Cobalt Redwood Brightline Keystone
        Silverline Evergreen Granite Beacon Crescent Orbitra Pioneer Meridian Atlas Vertex Juniper
        Sterling Falconer Horizon Quarryhill Tidewater Copperleaf Polaris Riverbend Solstice Foxglove
        Kestrel Larkspur Oakmont Pinecrest Stonebridge Westbrook Clearwater Driftwood Hollis Ashford
        """
    ),
    "de": _words(
        """
        Rheinwerk Alpenblick Nordlicht Isarbrück Elbtal Hansekontor Schwarzwald
        """
    ),
    "fr": _words(
        """
        Lumière Belvédère Clairvaux Marceau Rivage
        """
    ),
    "es": _words(
        """
        Andino Ibérica Solana Costa_Brava Montaña_Azul
        """
    ),
}

INDUSTRY_SUFFIXES = {
    "Logistics": {"en": "Logistics", "de": "Logistik GmbH", "fr": "Logistique", "es": "Logística"},
    "Healthcare": {"en": "Health", "de": "Klinikverbund", "fr": "Santé", "es": "Salud"},
    "Financial services": {"en": "Capital", "de": "Finanz AG", "fr": "Finance", "es": "Finanzas"},
    "Retail": {"en": "Retail Group", "de": "Handel GmbH", "fr": "Distribution", "es": "Comercial"},
    "Manufacturing": {"en": "Manufacturing", "de": "Maschinenbau", "fr": "Industries", "es": "Industrial"},
    "Software": {"en": "Software", "de": "Software GmbH", "fr": "Logiciels", "es": "Software"},
    "Education": {"en": "Learning", "de": "Akademie", "fr": "Formation", "es": "Educación"},
    "Media": {"en": "Media", "de": "Medien", "fr": "Médias", "es": "Medios"},
    "Insurance": {"en": "Insurance", "de": "Versicherung", "fr": "Assurances", "es": "Seguros"},
    "Energy": {"en": "Energy", "de": "Energie", "fr": "Énergie", "es": "Energía"},
    "Hospitality": {"en": "Hospitality", "de": "Hotels", "fr": "Hôtellerie", "es": "Hoteles"},
    "Professional services": {"en": "Partners", "de": "Beratung", "fr": "Conseil", "es": "Consultores"},
}

# Region → (share of accounts, the language most of its people use)
REGIONS = {
    "North America": (0.52, "en"),
    "UK & Ireland": (0.16, "en"),
    "DACH": (0.14, "de"),
    "France & Benelux": (0.08, "fr"),
    "Iberia & LatAm": (0.10, "es"),
}

FIRST_NAMES = {
    "en": _words(
        """
        James Olivia Liam Emma Noah Ava Ethan Mia Lucas Chloe Mason Grace Logan Zoe Ryan Hannah Nathan
        Leah Owen Ella Caleb Maya Dylan Ruby Isaac Nora Aaron Priya Omar Mei Rahul Fatima Kwame Ines
        Tariq Yuki Connor Siobhan Declan Aoife Marcus Jasmine Derek Tanya Victor Rachel
        """
    ),
    "de": _words(
        """
        Lukas Anna Felix Lena Jonas Laura Maximilian Julia Tobias Katharina Stefan Sabine Matthias
        Claudia Florian Miriam Jürgen Ute Sebastian Nina
        """
    ),
    "fr": _words(
        """
        Camille Louis Chloé Hugo Léa Julien Manon Antoine Sophie Mathieu Élodie Nicolas Claire Théo
        Amélie Guillaume
        """
    ),
    "es": _words(
        """
        Lucía Javier Sofía Diego Carmen Alejandro Valentina Pablo Isabel Mateo Elena Andrés Paula Sergio
        Marta Rodrigo
        """
    ),
}

LAST_NAMES = {
    "en": _words(
        """
        Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin
        Jackson Thompson White Harris Clark Lewis Walker Hall Young King Wright Scott Green Baker Adams
        Nelson Carter Patel Nguyen Kim Chen Singh Okafor Murphy O'Brien Kelly Byrne Fitzgerald Reyes
        Cohen Novak Lindqvist Hughes Price Bennett Foster Brooks
        """
    ),
    "de": _words(
        """
        Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein
        Wolf Schröder Neumann Braun Zimmermann
        """
    ),
    "fr": _words(
        """
        Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre
        Michel Garcia Fournier
        """
    ),
    "es": _words(
        """
        García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz
        Hernández Díaz Moreno Álvarez
        """
    ),
}

# (title, role) — role is what CS teams track: executive sponsor, admin, champion, end user
TITLES = [
    ("VP Operations", "executive sponsor"),
    ("Head of Customer Success", "executive sponsor"),
    ("Chief Operating Officer", "executive sponsor"),
    ("Director of Sales Operations", "executive sponsor"),
    ("CFO", "executive sponsor"),
    ("Head of Support", "champion"),
    ("Customer Success Lead", "champion"),
    ("RevOps Manager", "champion"),
    ("Operations Manager", "champion"),
    ("Salesforce Administrator", "admin"),
    ("IT Administrator", "admin"),
    ("Systems Engineer", "admin"),
    ("Data Analyst", "end user"),
    ("Business Analyst", "end user"),
    ("Account Executive", "end user"),
    ("Support Agent", "end user"),
    ("Marketing Manager", "end user"),
    ("Finance Manager", "end user"),
    ("Team Lead, Support", "end user"),
    ("Project Manager", "end user"),
    ("Sales Development Rep", "end user"),
    ("Product Owner", "end user"),
]
LOCAL_TITLES = {
    "de": [
        ("Leiterin Kundenservice", "champion"),
        ("Teamleiter Vertrieb", "end user"),
        ("IT-Leiter", "admin"),
        ("Geschäftsführer", "executive sponsor"),
    ],
    "fr": [
        ("Responsable marketing", "end user"),
        ("Directrice des opérations", "executive sponsor"),
        ("Chef de projet", "end user"),
    ],
    "es": [
        ("Director de operaciones", "executive sponsor"),
        ("Responsable de soporte", "champion"),
        ("Analista de datos", "end user"),
    ],
}

ASCII_FOLD = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "ê": "e",
        "ë": "e",
        "à": "a",
        "â": "a",
        "ç": "c",
        "î": "i",
        "ï": "i",
        "ô": "o",
        "û": "u",
        "ù": "u",
        "ñ": "n",
        "á": "a",
        "í": "i",
        "ó": "o",
        "ú": "u",
        "É": "e",
        "Á": "a",
        "Ü": "ue",
        "Ö": "oe",
        "Ä": "ae",
        "'": "",
        " ": "",
    }
)

STAFF = [
    # (email local part, name, role)
    ("admin", "Alex Morgan", "admin"),
    ("priya.raman", "Priya Raman", "cs"),
    ("marcus.webb", "Marcus Webb", "cs"),
    ("sofia.alvarez", "Sofia Álvarez", "cs"),
    ("jonas.becker", "Jonas Becker", "cs"),
    ("hannah.cole", "Hannah Cole", "pm"),
    ("daniel.okafor", "Daniel Okafor", "pm"),
    ("sam.taylor", "Sam Taylor", "viewer"),
]
STAFF_DOMAIN = "clearloop.example"  # reserved for examples (RFC 2606) yet a valid sign-in name

SUPPORT_AGENTS = ["Maya", "Tom", "Lena", "Carlos", "Aisha", "Ben", "Priscilla", "Kenji", "Rosa", "Dev"]

CHURN_REASONS = {
    "pricing": "Moved to a cheaper competitor at renewal",
    "integrations": "Salesforce sync never became reliable enough for their sales team",
    "usability": "Low adoption after their internal champion left",
    "budget": "Budget cuts after a reorganisation",
    "performance": "Repeated slowness on large dashboards; switched to an in-house BI setup",
}
