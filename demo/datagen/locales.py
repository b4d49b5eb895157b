"""Reference data per locale (Polish, Czech, British customers): cities, phone numbers,
company names, job titles and what staff write about them, in the customer's language."""

from dataclasses import dataclass

from .values import weighted

# Content is in the customer's language, as staff would write it. Postal templates: '#' a digit,
# '?' a letter.


@dataclass(frozen=True, eq=False)
class Locale:
    code: str
    country: str
    weight: int
    cities: tuple  # (name, postal template, weight)
    phone_prefix: str
    mobile_prefixes: tuple
    phone_formats: tuple  # callables(prefix, nine national digits) -> str
    free_mail: tuple
    tld: str
    office_mailboxes: tuple
    company_patterns: tuple  # {a}, {b}: surnames; {w}: a trade word
    company_words: tuple
    company_suffixes: tuple  # weighted by repetition
    titles: tuple
    subjects: tuple
    first_contact_subjects: dict
    mailing_subjects: tuple
    returning_subject: str
    outcomes: tuple
    notes: tuple
    other_end_notes: tuple


def _grouped(prefix, digits, sizes):
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return f"{prefix} {' '.join(parts)}".strip()


PL = Locale(
    code="pl_PL",
    country="PL",
    weight=60,
    cities=(
        ("Warszawa", "0#-###", 18),
        ("Kraków", "3#-###", 8),
        ("Łódź", "9#-###", 6),
        ("Wrocław", "5#-###", 6),
        ("Poznań", "6#-###", 5),
        ("Gdańsk", "80-###", 4),
        ("Szczecin", "7#-###", 4),
        ("Bydgoszcz", "85-###", 3),
        ("Lublin", "20-###", 3),
        ("Katowice", "40-###", 3),
        ("Białystok", "15-###", 3),
        ("Gdynia", "81-###", 2),
        ("Częstochowa", "42-###", 2),
        ("Radom", "26-###", 2),
        ("Toruń", "87-###", 2),
        ("Rzeszów", "35-###", 2),
        ("Kielce", "25-###", 2),
        ("Olsztyn", "10-###", 2),
        ("Opole", "45-###", 1),
        ("Zielona Góra", "65-###", 1),
    ),
    phone_prefix="+48",
    mobile_prefixes=("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"),
    phone_formats=(
        lambda cc, n: _grouped(cc, n, (3, 3, 3)),
        lambda cc, n: _grouped("", n, (3, 3, 3)),
        lambda cc, n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
        lambda cc, n: f"({cc}) {n}",
    ),
    free_mail=("gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "poczta.fm", "outlook.com"),
    tld="pl",
    office_mailboxes=("biuro", "kontakt", "sekretariat", "info", "office"),
    company_patterns=("{w} {a}", "{w} {a}", "{a}-{b}", "{a} i Wspólnicy", "{w} {a}-{b}", "{a}"),
    company_words=(
        "Grupa",
        "PPUH",
        "FHU",
        "Zakład Usługowy",
        "Hurtownia",
        "Studio",
        "Biuro Rachunkowe",
        "Przedsiębiorstwo Handlowe",
        "Auto-Serwis",
        "Transport",
        "Usługi Budowlane",
        "Apteka",
        "Piekarnia",
        "Drukarnia",
        "Instalacje",
        "Meble",
        "Ogrody",
    ),
    company_suffixes=("sp. z o.o.",) * 6 + ("S.A.", "s.c.", "s.c.", "Sp.j.", "Sp.k."),
    titles=(
        "Prezes zarządu",
        "Dyrektor finansowy",
        "Główna księgowa",
        "Kierownik zakupów",
        "Specjalista ds. zakupów",
        "Dyrektor handlowy",
        "Kierownik biura",
        "Właściciel",
        "Kierownik IT",
        "Asystentka zarządu",
        "",
    ),
    subjects=(
        "Zapytanie o ofertę",
        "Przesłanie oferty",
        "Negocjacje warunków",
        "Pytanie o fakturę",
        "Reklamacja dostawy",
        "Przedłużenie umowy",
        "Spotkanie w sprawie współpracy",
        "Prezentacja nowych produktów",
        "Zmiana danych kontaktowych",
        "Ustalenie terminu dostawy",
        "Przypomnienie o płatności",
        "Zgłoszenie serwisowe",
        "Ankieta zadowolenia",
        "Rozmowa kontrolna po wdrożeniu",
        "Aktualizacja cennika",
    ),
    first_contact_subjects={
        "mailing": "Mailing powitalny",
        "web_form": "Formularz kontaktowy: zapytanie",
        "referral": "Polecenie od klienta",
        "event": "Rozmowa na targach",
        "inbound_call": "Telefon z pytaniem o ofertę",
        "other": "Pierwszy kontakt",
    },
    mailing_subjects=("Newsletter {m:02d}/{y}", "Oferta sezonowa {y}", "Zaproszenie na targi {y}"),
    returning_subject="Powrót klienta: nowe zapytanie",
    outcomes=(
        "Wysłano ofertę",
        "Umówiono spotkanie",
        "Oddzwonić za tydzień",
        "Sprawa zamknięta",
        "Przekazano do serwisu",
        "Klient zainteresowany",
        "Brak decyzji",
    ),
    notes=(
        "Klient prosi o kontakt mailowy.",
        "Decyzja po konsultacji z zarządem.",
        "Porównuje naszą ofertę z konkurencją.",
        "Zadowolony z dotychczasowej współpracy.",
        "Prosi o rabat przy większym zamówieniu.",
    ),
    other_end_notes=(
        "Klient przeszedł na emeryturę.",
        "Połączenie z inną firmą.",
        "Zmiana profilu działalności.",
    ),
)

CZ = Locale(
    code="cs_CZ",
    country="CZ",
    weight=25,
    cities=(
        ("Praha", "1## ##", 20),
        ("Brno", "6## ##", 6),
        ("Ostrava", "7## ##", 5),
        ("Plzeň", "3## ##", 3),
        ("Liberec", "460 ##", 2),
        ("Olomouc", "779 ##", 2),
        ("České Budějovice", "370 ##", 2),
        ("Hradec Králové", "500 ##", 2),
        ("Ústí nad Labem", "400 ##", 2),
        ("Pardubice", "530 ##", 2),
        ("Zlín", "760 ##", 1),
        ("Jihlava", "586 ##", 1),
    ),
    phone_prefix="+420",
    mobile_prefixes=("60", "72", "73", "77", "79"),
    phone_formats=(
        lambda cc, n: _grouped(cc, n, (3, 3, 3)),
        lambda cc, n: _grouped("", n, (3, 3, 3)),
        lambda cc, n: f"{cc}{n}",
    ),
    free_mail=("seznam.cz", "email.cz", "centrum.cz", "gmail.com", "post.cz", "volny.cz"),
    tld="cz",
    office_mailboxes=("info", "kancelar", "obchod", "office"),
    company_patterns=("{w} {a}", "{w} {a}", "{a} a {b}", "{a} & syn", "{a}"),
    company_words=(
        "Stavby",
        "Autoservis",
        "Truhlářství",
        "Pekárna",
        "Tiskárna",
        "Účetnictví",
        "Doprava",
        "Elektro",
        "Kovovýroba",
        "Agro",
        "Instalatérství",
        "Nábytek",
        "Zahrady",
        "Obchod",
    ),
    company_suffixes=("s.r.o.",) * 6 + ("a.s.", "a.s.", "v.o.s.", "k.s."),
    titles=(
        "Jednatel",
        "Finanční ředitel",
        "Hlavní účetní",
        "Vedoucí nákupu",
        "Nákupčí",
        "Obchodní ředitel",
        "Office manažerka",
        "Majitel",
        "Vedoucí IT",
        "Asistentka ředitele",
        "",
    ),
    subjects=(
        "Poptávka nabídky",
        "Zaslání nabídky",
        "Vyjednávání podmínek",
        "Dotaz k faktuře",
        "Reklamace dodávky",
        "Prodloužení smlouvy",
        "Schůzka o spolupráci",
        "Představení nových produktů",
        "Změna kontaktních údajů",
        "Domluva termínu dodání",
        "Upomínka platby",
        "Servisní požadavek",
        "Průzkum spokojenosti",
        "Kontrolní hovor po zavedení",
        "Aktualizace ceníku",
    ),
    first_contact_subjects={
        "mailing": "Uvítací mailing",
        "web_form": "Kontaktní formulář: dotaz",
        "referral": "Doporučení od zákazníka",
        "event": "Rozhovor na veletrhu",
        "inbound_call": "Telefonický dotaz na nabídku",
        "other": "První kontakt",
    },
    mailing_subjects=("Newsletter {m:02d}/{y}", "Sezónní nabídka {y}", "Pozvánka na veletrh {y}"),
    returning_subject="Návrat zákazníka: nová poptávka",
    outcomes=(
        "Nabídka odeslána",
        "Domluvena schůzka",
        "Zavolat za týden",
        "Vyřízeno",
        "Předáno servisu",
        "Zákazník má zájem",
        "Bez rozhodnutí",
    ),
    notes=(
        "Zákazník preferuje kontakt e-mailem.",
        "Rozhodne se po poradě s vedením.",
        "Srovnává naši nabídku s konkurencí.",
        "Spokojen s dosavadní spoluprací.",
        "Žádá slevu při větší objednávce.",
    ),
    other_end_notes=(
        "Zákazník odešel do důchodu.",
        "Fúze s jinou firmou.",
        "Změna předmětu podnikání.",
    ),
)

GB = Locale(
    code="en_GB",
    country="GB",
    weight=15,
    cities=(
        ("London", "SW# #??", 14),
        ("Manchester", "M## #??", 4),
        ("Birmingham", "B## #??", 4),
        ("Leeds", "LS# #??", 3),
        ("Bristol", "BS# #??", 3),
        ("Liverpool", "L## #??", 3),
        ("Sheffield", "S## #??", 2),
        ("Edinburgh", "EH# #??", 2),
        ("Glasgow", "G## #??", 2),
        ("Cardiff", "CF# #??", 2),
        ("Nottingham", "NG# #??", 2),
        ("Leicester", "LE# #??", 1),
        ("Oxford", "OX# #??", 1),
        ("Cambridge", "CB# #??", 1),
        ("Brighton", "BN# #??", 1),
        ("Newcastle upon Tyne", "NE# #??", 1),
        ("York", "YO# #??", 1),
        ("Reading", "RG# #??", 1),
    ),
    phone_prefix="+44",
    mobile_prefixes=("40", "41", "44", "45", "47", "48", "52", "70", "73", "77", "79", "88"),
    phone_formats=(
        lambda cc, n: f"{cc} 7{n[:3]} {n[3:]}",
        lambda cc, n: f"07{n[:3]} {n[3:]}",
        lambda cc, n: f"07{n}",
    ),
    free_mail=("gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk", "hotmail.co.uk"),
    tld="co.uk",
    office_mailboxes=("info", "office", "hello", "accounts", "enquiries"),
    company_patterns=("{a} {w}", "{a} {w}", "{a} & {b}", "{a} and Sons", "{a} {b} {w}"),
    company_words=(
        "Consulting",
        "Logistics",
        "Engineering",
        "Builders",
        "Design",
        "Foods",
        "Motors",
        "Solutions",
        "Print",
        "Systems",
        "Joinery",
        "Electrical",
        "Landscapes",
        "Accountancy",
        "Plumbing",
    ),
    company_suffixes=("Ltd",) * 6 + ("PLC", "LLP"),
    titles=(
        "Managing Director",
        "Finance Director",
        "Accounts Payable Clerk",
        "Procurement Manager",
        "Buyer",
        "Sales Director",
        "Office Manager",
        "Owner",
        "IT Manager",
        "PA to the Director",
        "",
    ),
    subjects=(
        "Request for a quote",
        "Quote sent",
        "Negotiating terms",
        "Question about an invoice",
        "Delivery complaint",
        "Contract renewal",
        "Meeting about working together",
        "New product presentation",
        "Change of contact details",
        "Agreeing a delivery date",
        "Payment reminder",
        "Service request",
        "Satisfaction survey",
        "Follow-up call after onboarding",
        "Price list update",
    ),
    first_contact_subjects={
        "mailing": "Welcome mailing",
        "web_form": "Web form enquiry",
        "referral": "Referral from a customer",
        "event": "Conversation at a trade fair",
        "inbound_call": "Phone enquiry about our offer",
        "other": "First contact",
    },
    mailing_subjects=("Newsletter {m:02d}/{y}", "Seasonal offer {y}", "Trade fair invitation {y}"),
    returning_subject="Returning customer: new enquiry",
    outcomes=(
        "Quote sent",
        "Meeting booked",
        "Call back in a week",
        "Resolved",
        "Passed to service",
        "Customer interested",
        "No decision yet",
    ),
    notes=(
        "Prefers to be contacted by e-mail.",
        "Will decide after talking to the board.",
        "Comparing our offer with a competitor's.",
        "Happy with how things have gone so far.",
        "Asks for a discount on a larger order.",
    ),
    other_end_notes=(
        "Customer retired.",
        "Merged with another company.",
        "Changed line of business.",
    ),
)

LOCALES = (PL, CZ, GB)

LOCALE_DRAW = weighted((locale, locale.weight) for locale in LOCALES)
