"""Deterministic bulk data: customers with their whole history, for demos and load tests.

Each customer is drawn from its own random stream, seeded with the run's seed and the customer's
ordinal, so the same seed gives the same data whatever the batch size. Primary keys are assigned
here, counting on from the tables' current maxima, so a batch's rows reference their parents
without a round trip; a writer then streams each batch in one transaction (COPY on PostgreSQL,
executemany elsewhere).

To add a kind of row (contracts, invoices...): declare a `Table`, add it to `TABLES` after the
tables it references, and emit its rows from a `DataGenerator` method called per customer.
"""

import functools
import itertools
import random
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from faker import Faker

from customers import roles
from customers.models import ContactPerson, Customer, Segment
from relationships.models import Interaction, Relationship

# Customers first contacted up to this many days ago, so histories span several years.
HISTORY_DAYS = 8 * 365
# Distinct names and streets drawn from Faker per locale; Faker is too slow to call per row.
POOL_SIZE = 2000
WORKDAY_START = 8 * 3600
WORKDAY_END = 18 * 3600
# Letters used in the inward part of British postcodes.
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class Table:
    """The columns the generator writes, in row order (attnames, separated by whitespace).

    Generated columns (phone_digits, phone_key) are computed by the database and never listed.
    """

    def __init__(self, model, fields):
        self.model = model
        self.fields = tuple(model._meta.get_field(name) for name in fields.split())
        self.db_table = model._meta.db_table
        self.columns = tuple(field.column for field in self.fields)

    def __repr__(self):
        return f"<Table {self.db_table}>"


CUSTOMERS = Table(
    Customer,
    """
    id kind display_name legal_name tax_id email phone street postal_code city country
    owner_id source first_contact_on notes status relationship_kind last_contact_at
    created_at updated_at created_by_id
    """,
)
CUSTOMER_SEGMENTS = Table(Customer.segments.through, "id customer_id segment_id")
CONTACTS = Table(
    ContactPerson,
    """
    id customer_id first_name last_name title email phone is_primary marketing_consent
    marketing_consent_at is_active created_at
    """,
)
RELATIONSHIPS = Table(
    Relationship,
    """
    id customer_id status kind started_on started_by_id ended_at ended_by_id end_reason
    end_note
    """,
)
INTERACTIONS = Table(
    Interaction,
    """
    id customer_id relationship_id contact_person_id channel direction subject notes outcome
    occurred_at created_by_id created_at
    """,
)
# Parents before children, for a database that checks foreign keys per statement.
TABLES = (CUSTOMERS, CUSTOMER_SEGMENTS, CONTACTS, RELATIONSHIPS, INTERACTIONS)
TAX_ID_COLUMN = CUSTOMERS.columns.index("tax_id")

SEGMENTS = {
    "Enterprise": "Organisations with more than 250 employees.",
    "SMB": "Small and medium-sized businesses.",
    "Public sector": "Government bodies, schools, hospitals and municipalities.",
    "Consumers": "People buying for themselves.",
    "Key accounts": "Customers looked after by a named account manager.",
    "Partners": "Resellers and implementation partners.",
}


# --- Reference data per locale ----------------------------------------------------------------
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


def _weighted(pairs):
    """A tuple repeating each value by its weight: `rng.choice` on it is a fast weighted draw."""
    return tuple(
        itertools.chain.from_iterable(itertools.repeat(value, weight) for value, weight in pairs)
    )


LOCALE_DRAW = _weighted((locale, locale.weight) for locale in LOCALES)
SOURCE_DRAW = _weighted(
    (
        (Customer.Source.MAILING, 15),
        (Customer.Source.WEB_FORM, 25),
        (Customer.Source.REFERRAL, 20),
        (Customer.Source.EVENT, 10),
        (Customer.Source.INBOUND_CALL, 20),
        (Customer.Source.OTHER, 10),
    )
)
FIRST_CONTACT_CHANNEL = {
    Customer.Source.MAILING: (Interaction.Channel.MAILING, Interaction.Direction.OUTBOUND),
    Customer.Source.WEB_FORM: (Interaction.Channel.WEB_FORM, Interaction.Direction.INBOUND),
    Customer.Source.REFERRAL: (Interaction.Channel.CALL, Interaction.Direction.OUTBOUND),
    Customer.Source.EVENT: (Interaction.Channel.MEETING, Interaction.Direction.INBOUND),
    Customer.Source.INBOUND_CALL: (Interaction.Channel.CALL, Interaction.Direction.INBOUND),
    Customer.Source.OTHER: (Interaction.Channel.EMAIL, Interaction.Direction.INBOUND),
}
CHANNEL_DRAW = _weighted(
    (
        (Interaction.Channel.CALL, 30),
        (Interaction.Channel.EMAIL, 30),
        (Interaction.Channel.MEETING, 10),
        (Interaction.Channel.MAILING, 12),
        (Interaction.Channel.LETTER, 3),
        (Interaction.Channel.CHAT, 5),
        (Interaction.Channel.VISIT, 5),
        (Interaction.Channel.WEB_FORM, 5),
    )
)
END_REASON_DRAW = _weighted(
    (
        (Relationship.EndReason.NOT_CREDITWORTHY, 8),
        (Relationship.EndReason.MOVED_TO_COMPETITOR, 25),
        (Relationship.EndReason.COMPANY_CLOSED, 10),
        (Relationship.EndReason.NO_LONGER_NEEDS, 25),
        (Relationship.EndReason.UNRESPONSIVE, 20),
        (Relationship.EndReason.OUR_DECISION, 7),
        (Relationship.EndReason.OTHER, 5),
    )
)
# Contact persons per organisation: 0-4, most have two or three.
ORG_CONTACTS_DRAW = _weighted(((0, 5), (1, 10), (2, 25), (3, 30), (4, 30)))


# --- Identifiers unique by construction ---------------------------------------------------------
# Derived from the row's own primary key through a bijection, so they never collide with other
# generated rows (in this run or an earlier one) and need no lookup.


def _permute(value, modulus, multiplier, offset):
    return (value * multiplier + offset) % modulus


def polish_nip(key):
    for attempt in range(8):
        # Nine-digit body starting 1-9; a body whose checksum would be 10 is no valid NIP.
        body = str(100_000_000 + _permute(key * 8 + attempt, 900_000_000, 387_420_491, 123_456_789))
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check != 10:
            return body + str(check)
    return body + "0"


def czech_ico(key):
    body = f"{_permute(key, 10_000_000, 7_654_321, 2_345_678):07d}"
    total = sum(w * int(d) for w, d in zip(range(8, 1, -1), body, strict=True))
    return body + str((11 - total % 11) % 10)


def british_vat(key):
    body = f"{_permute(key, 10_000_000, 9_765_431, 5_551_234):07d}"
    total = sum(w * int(d) for w, d in zip(range(8, 1, -1), body, strict=True))
    return f"GB{body}{-total % 97:02d}"


TAX_ID = {"PL": polish_nip, "CZ": czech_ico, "GB": british_vat}


def phone_body(key, *, contact):
    # Customers and contact persons draw from separate halves, so duplicate detection (which
    # compares the last nine digits) sees no false twins between them.
    if contact:
        body = 5_000_000 + _permute(key, 5_000_000, 2_718_281, 314_159)
    else:
        body = _permute(key, 5_000_000, 3_141_593, 271_828)
    return f"{body:07d}"


def ascii_slug(text):
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


# --- Pools drawn from Faker -----------------------------------------------------------------


class Pools:
    """Names and streets of one locale, drawn from Faker once per run."""

    def __init__(self, locale: Locale, seed: int):
        fake = Faker(locale.code)
        fake.seed_instance(seed)
        self.male = self._people(fake.first_name_male, fake.last_name_male)
        self.female = self._people(fake.first_name_female, fake.last_name_female)
        self.streets = tuple(sorted({fake.street_name() for _ in range(POOL_SIZE)}))
        self.cities = _weighted(((name, postal), weight) for name, postal, weight in locale.cities)
        # Company names are built per row from surnames, so a million organisations do not
        # share a few thousand names (and e-mail domains).
        self.surnames = tuple(sorted({person[1] for person in self.male}))

    @classmethod
    @functools.cache
    def drawn(cls, locale, seed):
        """The pools for a locale and seed, drawn once per process (Faker takes about a second)."""
        return cls(locale, seed)

    @staticmethod
    def _people(first_name, last_name):
        people = {(first_name(), last_name()) for _ in range(POOL_SIZE)}
        return tuple(
            (first, last, ascii_slug(first), ascii_slug(last)) for first, last in sorted(people)
        )


# --- Who does the work ----------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """User ids per duty, weighted by repetition; drawn by position, so the same users give the
    same data whatever ids the database gave them."""

    owners: tuple
    creators: tuple
    authors: tuple
    managers: tuple

    @classmethod
    def from_users(cls, users=None):
        """Staff from `users` (default: everyone holding a role), by their role groups."""
        queryset = get_user_model().objects.filter(is_active=True, groups__name__in=roles.ALL_ROLES)
        if users is not None:
            queryset = queryset.filter(pk__in=[user.pk for user in users])
        by_role = {role: [] for role in roles.ALL_ROLES}
        for user_id, role in queryset.order_by("username", "groups__name").values_list(
            "id", "groups__name"
        ):
            by_role[role].append(user_id)
        everyone = tuple(dict.fromkeys(itertools.chain.from_iterable(by_role.values())))
        if not everyone:
            return None

        def pick(weights):
            drawn = tuple(
                itertools.chain.from_iterable(by_role[role] * weight for role, weight in weights)
            )
            return drawn or everyone

        return cls(
            # Sales reps own most customers; managers keep a few key accounts.
            owners=pick(((roles.SALES, 4), (roles.MANAGER, 1))),
            creators=pick(((roles.SALES, 3), (roles.SERVICE, 1))),
            authors=pick(
                ((roles.SALES, 3), (roles.SERVICE, 3), (roles.FINANCE, 1), (roles.MANAGER, 1))
            ),
            # Only managers may end a relationship (roles.END_RELATIONSHIP).
            managers=pick(((roles.MANAGER, 1),)),
        )


GENERATOR_STAFF = ((roles.SALES, 4), (roles.SERVICE, 2), (roles.FINANCE, 1), (roles.MANAGER, 1))


def ensure_staff():
    """The staff to attribute data to: the users holding roles, or a generated team if none do."""
    staff = Staff.from_users()
    if staff is not None:
        return staff
    User = get_user_model()
    for role, count in GENERATOR_STAFF:
        group, _ = Group.objects.get_or_create(name=role)
        for number in range(1, count + 1):
            user, created = User.objects.get_or_create(username=f"gen_{role}_{number}")
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(group)
    return Staff.from_users()


def ensure_segments():
    segments = []
    for name, description in SEGMENTS.items():
        segment, _ = Segment.objects.get_or_create(name=name, defaults={"description": description})
        segments.append(segment)
    return {segment.name: segment.pk for segment in segments}


# --- The generator --------------------------------------------------------------------------


class Batch:
    """The rows of a run of customers, per table."""

    def __init__(self):
        self.rows = {table: [] for table in TABLES}


class Ids:
    """Primary keys handed out in Python, counting on from each table's current maximum."""

    def __init__(self, using):
        self._next = {}
        for table in TABLES:
            current = table.model._base_manager.using(using).aggregate(top=models.Max("pk"))["top"]
            self._next[table] = itertools.count((current or 0) + 1).__next__

    def __getitem__(self, table):
        return self._next[table]


@dataclass(slots=True)
class Draft:
    """One customer being generated: what is decided so far, shared by the methods that write
    its rows. Days count from the first contact; day `lifetime` is today."""

    id: int
    locale: Locale
    pools: Pools
    organisation: bool
    lifetime: int
    first_contact_on: date
    owner: int
    created_by: int
    source: str
    # Midnight of the first contact, local time; every moment is this plus days and seconds.
    midnight: datetime
    first_seconds: int
    person: tuple | None = None
    domain: str = ""
    email: str = ""
    phone: str = ""
    relationships: list = field(default_factory=list)
    # (contact id, day added); the primary one, if any, comes first.
    contacts: list = field(default_factory=list)
    last_contact_at: datetime | None = None
    changed_at: datetime | None = None

    def at(self, day, seconds):
        return self.midnight + timedelta(days=day, seconds=seconds)


@dataclass(frozen=True, slots=True)
class PlannedRelationship:
    id: int
    start: int
    end: int | None  # the day it ended; interactions from that moment on are not part of it
    status: str
    kind: str
    ended_at: datetime | None


class DataGenerator:
    """Rows for runs of customers. `customer()` drafts one customer and calls one method per
    table; a new kind of row is one more such method, reading what the draft already holds."""

    def __init__(self, *, seed, staff, segments, today, tz, ids):
        self.seed = seed
        self.staff = staff
        self.segments = segments
        self.today = today
        self.tz = tz
        self.ids = ids
        self.rng = random.Random()
        self.pools = {locale.code: Pools.drawn(locale, seed) for locale in LOCALES}

    def batch(self, ordinals) -> Batch:
        batch = Batch()
        for ordinal in ordinals:
            # One stream per customer: the data does not depend on where the batches are cut.
            self.rng.seed((self.seed << 40) + ordinal)
            self.customer(batch)
        return batch

    def customer(self, batch):
        rng, staff = self.rng, self.staff
        locale = rng.choice(LOCALE_DRAW)
        lifetime = rng.randint(1, HISTORY_DAYS)
        first_contact_on = self.today - timedelta(days=lifetime)
        owner = rng.choice(staff.owners)
        draft = Draft(
            id=self.ids[CUSTOMERS](),
            locale=locale,
            pools=self.pools[locale.code],
            organisation=rng.random() < 0.62,
            lifetime=lifetime,
            first_contact_on=first_contact_on,
            owner=owner,
            created_by=owner if rng.random() < 0.7 else rng.choice(staff.creators),
            source=rng.choice(SOURCE_DRAW),
            midnight=datetime.combine(first_contact_on, datetime.min.time(), tzinfo=self.tz),
            first_seconds=rng.randrange(WORKDAY_START, 12 * 3600),
        )
        row = self.identity(draft)
        self.relationships(draft, batch)
        self.contacts(draft, batch)
        self.interactions(draft, batch)
        self.customer_segments(draft, batch)
        latest = draft.relationships[-1]
        first_contact_at = draft.at(0, draft.first_seconds)
        batch.rows[CUSTOMERS].append(
            (
                *row,
                latest.status,
                latest.kind,
                draft.last_contact_at,
                first_contact_at,
                max(first_contact_at, draft.changed_at),
                draft.created_by,
            )
        )

    def identity(self, draft):
        """Who the customer is and how to reach them: the customer row up to its notes."""
        rng, locale, pools = self.rng, draft.locale, draft.pools
        if rng.random() < 0.9:
            draft.phone = rng.choice(locale.phone_formats)(
                locale.phone_prefix,
                rng.choice(locale.mobile_prefixes) + phone_body(draft.id, contact=False),
            )
        if draft.organisation:
            display_name = rng.choice(locale.company_patterns).format(
                a=rng.choice(pools.surnames),
                b=rng.choice(pools.surnames),
                w=rng.choice(locale.company_words),
            )
            legal_name = f"{display_name} {rng.choice(locale.company_suffixes)}"
            draft.domain = f"{ascii_slug(display_name)}.{locale.tld}"
            tax_id = TAX_ID[locale.country](draft.id)
            if rng.random() < 0.85:
                draft.email = f"{rng.choice(locale.office_mailboxes)}@{draft.domain}"
        else:
            draft.person = rng.choice(pools.female if rng.random() < 0.5 else pools.male)
            display_name, legal_name = f"{draft.person[0]} {draft.person[1]}", ""
            # Sole traders have a tax id; most people do not.
            tax_id = TAX_ID[locale.country](draft.id) if rng.random() < 0.1 else ""
            if rng.random() < 0.85:
                draft.email = self.personal_email(locale, draft.person)

        city, postal_template = rng.choice(pools.cities)
        street, number = rng.choice(pools.streets), rng.randint(1, 180)
        if locale is GB:
            address = f"{number} {street}"
        elif locale is PL:
            flat = f"/{rng.randint(1, 60)}" if rng.random() < 0.4 else ""
            address = f"ul. {street} {number}{flat}"
        else:
            address = f"{street} {number}"
        postal_code = "".join(
            str(rng.randrange(10))
            if ch == "#"
            else rng.choice(POSTCODE_LETTERS)
            if ch == "?"
            else ch
            for ch in postal_template
        )
        return (
            draft.id,
            Customer.Kind.ORGANISATION if draft.organisation else Customer.Kind.PERSON,
            display_name,
            legal_name,
            tax_id,
            draft.email,
            draft.phone,
            address,
            postal_code,
            city,
            locale.country,
            draft.owner,
            draft.source,
            draft.first_contact_on,
            rng.choice(locale.notes) if rng.random() < 0.05 else "",
        )

    def personal_email(self, locale, person):
        rng = self.rng
        first, last = person[2], person[3]
        local = rng.choice(
            (f"{first}.{last}", f"{first[:1]}.{last}", f"{first}{last}", f"{last}.{first}")
        )
        if rng.random() < 0.7:
            local += str(rng.randint(1, 999))
        return f"{local}@{rng.choice(locale.free_mail)}"

    def relationships(self, draft, batch):
        """The customer's relationships in order; all but the last have ended."""
        rng, staff, lifetime = self.rng, self.staff, draft.lifetime
        roll = rng.random()
        wanted = 1 if roll < 0.86 else 2 if roll < 0.97 else 3
        spans, start = [], 0
        for index in range(wanted):
            if index < wanted - 1 and lifetime - start >= 240:
                # A returning customer: this one ended, a new one started after a gap.
                end = start + rng.randint(60, min(900, lifetime - start - 150))
                spans.append((start, end))
                start = end + rng.randint(30, min(600, lifetime - end - 60))
                continue
            end = None
            if lifetime - start > 60 and rng.random() < (0.25 if index == 0 else 0.12):
                end = start + rng.randint(30, lifetime - start - 1)
            spans.append((start, end))
            break

        lasting_share = 0.8 if draft.organisation else 0.5
        for start, end in spans:
            relationship_id = self.ids[RELATIONSHIPS]()
            if rng.random() < lasting_share:
                kind = Relationship.Kind.LASTING
            else:
                kind = Relationship.Kind.CASUAL
            started_by = rng.choice(staff.creators) if draft.relationships else draft.owner
            ended_at, ended_by, reason, note = None, None, "", ""
            if end is None:
                recent = lifetime - start < 120
                if rng.random() < (0.6 if recent else 0.2):
                    status = Relationship.Status.PROSPECT
                else:
                    status = Relationship.Status.ACTIVE
            else:
                status = Relationship.Status.ENDED
                ended_at = draft.at(end, rng.randrange(WORKDAY_START, WORKDAY_END))
                ended_by = rng.choice(staff.managers)
                reason = rng.choice(END_REASON_DRAW)
                if reason == Relationship.EndReason.OTHER:
                    note = rng.choice(draft.locale.other_end_notes)
            draft.relationships.append(
                PlannedRelationship(relationship_id, start, end, status, kind, ended_at)
            )
            batch.rows[RELATIONSHIPS].append(
                (
                    relationship_id,
                    draft.id,
                    status,
                    kind,
                    draft.first_contact_on + timedelta(days=start),
                    started_by,
                    ended_at,
                    ended_by,
                    reason,
                    note,
                )
            )

    def contacts(self, draft, batch):
        rng, locale = self.rng, draft.locale
        if draft.person is not None:
            # A person's contact is usually themselves, when they gave us a way to reach them.
            count = 1 if rng.random() < 0.35 else 0
        else:
            count = rng.choice(ORG_CONTACTS_DRAW)
        has_primary = count and rng.random() < 0.85
        for index in range(count):
            contact_id = self.ids[CONTACTS]()
            day = 0 if index == 0 else rng.randrange(draft.lifetime)
            added_at = draft.at(day, rng.randrange(WORKDAY_START, WORKDAY_END))
            if draft.person is not None:
                first, last = draft.person[0], draft.person[1]
                title, email, phone = "", draft.email, draft.phone
            else:
                first, last, first_ascii, last_ascii = rng.choice(
                    draft.pools.female if rng.random() < 0.5 else draft.pools.male
                )
                title = rng.choice(locale.titles)
                email = f"{first_ascii}.{last_ascii}@{draft.domain}" if rng.random() < 0.85 else ""
                phone = ""
                if rng.random() < 0.8:
                    phone = rng.choice(locale.phone_formats)(
                        locale.phone_prefix,
                        rng.choice(locale.mobile_prefixes) + phone_body(contact_id, contact=True),
                    )
            primary = bool(has_primary and index == 0)
            consent = rng.random() < 0.35
            consent_at = None
            if consent:
                consent_at = added_at + timedelta(days=rng.randrange(draft.lifetime - day))
            batch.rows[CONTACTS].append(
                (
                    contact_id,
                    draft.id,
                    first,
                    last,
                    title,
                    email,
                    phone,
                    primary,
                    consent,
                    consent_at,
                    primary or rng.random() < 0.9,
                    added_at,
                )
            )
            draft.contacts.append((contact_id, day))

    def interactions(self, draft, batch):
        """The contact log, from the first contact on; sets the last contact and last change."""
        rng, staff, locale = self.rng, self.staff, draft.locale
        rows, next_id = batch.rows[INTERACTIONS], self.ids[INTERACTIONS]
        relationships = draft.relationships
        # Days on which a relationship was open, as (first day, day after last, relationship id).
        open_spans = [
            (r.start, draft.lifetime if r.end is None else r.end, r.id) for r in relationships
        ]
        open_days = sum(stop - start for start, stop, _ in open_spans)

        def log(at, relationship_id, contact_id, channel, direction, subject, notes, outcome, by):
            rows.append(
                (
                    next_id(),
                    draft.id,
                    relationship_id,
                    contact_id,
                    channel,
                    direction,
                    subject,
                    notes,
                    outcome,
                    at,
                    by,
                    at,
                )
            )

        first_at = draft.at(0, draft.first_seconds)
        channel, direction = FIRST_CONTACT_CHANNEL[draft.source]
        primary_id = draft.contacts[0][0] if draft.contacts else None
        subject = locale.first_contact_subjects[draft.source]
        log(
            first_at,
            relationships[0].id,
            primary_id,
            channel,
            direction,
            subject,
            "",
            "",
            draft.created_by,
        )
        last_at = changed_at = first_at
        for relationship in relationships[1:]:
            # The returning customer gets back in touch; that contact opens the new relationship.
            at = draft.at(relationship.start, rng.randrange(WORKDAY_START, WORKDAY_END))
            contact_id = self.contact_on(draft, relationship.start)
            channel, direction = Interaction.Channel.CALL, Interaction.Direction.INBOUND
            subject, by = locale.returning_subject, rng.choice(staff.creators)
            log(at, relationship.id, contact_id, channel, direction, subject, "", "", by)
            last_at = changed_at = at
        if relationships[-1].ended_at is not None:
            changed_at = relationships[-1].ended_at

        lasting = relationships[-1].kind == Relationship.Kind.LASTING
        for _ in range(min(int(rng.expovariate(1 / (18 if lasting else 7))), 200)):
            if rng.random() < 0.92:
                # Mostly while a relationship is open; the rest are e.g. mailings in between.
                position = rng.randrange(open_days)
                for start, stop, span_relationship_id in open_spans:
                    if position < stop - start:
                        day, relationship_id = start + position, span_relationship_id
                        break
                    position -= stop - start
            else:
                day = rng.randrange(draft.lifetime)
                relationship_id = next(
                    (pk for start, stop, pk in open_spans if start <= day < stop), None
                )
            # Nothing precedes the first contact.
            earliest = draft.first_seconds + 60 if day == 0 else WORKDAY_START
            at = draft.at(day, rng.randrange(earliest, WORKDAY_END))
            if relationship_id is None:
                # On the day a relationship ends, it was still open until the moment it ended.
                for relationship in relationships:
                    if relationship.end == day and at < relationship.ended_at:
                        relationship_id = relationship.id
            channel = rng.choice(CHANNEL_DRAW)
            if channel == Interaction.Channel.MAILING:
                direction = Interaction.Direction.OUTBOUND
                subject = rng.choice(locale.mailing_subjects).format(m=at.month, y=at.year)
                contact_id, outcome, notes = None, "", ""
            else:
                if channel == Interaction.Channel.WEB_FORM or rng.random() < 0.4:
                    direction = Interaction.Direction.INBOUND
                else:
                    direction = Interaction.Direction.OUTBOUND
                subject = rng.choice(locale.subjects)
                contact_id = self.contact_on(draft, day)
                outcome = rng.choice(locale.outcomes) if rng.random() < 0.5 else ""
                notes = rng.choice(locale.notes) if rng.random() < 0.15 else ""
            by = draft.owner if rng.random() < 0.5 else rng.choice(staff.authors)
            log(at, relationship_id, contact_id, channel, direction, subject, notes, outcome, by)
            last_at = max(last_at, at)
        draft.last_contact_at, draft.changed_at = last_at, changed_at

    def contact_on(self, draft, day):
        """One of the contact persons known on `day` (the first one most often), or nobody."""
        rng, contacts = self.rng, draft.contacts
        if not contacts or rng.random() < 0.2:
            return None
        if rng.random() < 0.5:
            return contacts[0][0]
        known = [contact_id for contact_id, added in contacts if added <= day]
        return rng.choice(known) if known else None

    def customer_segments(self, draft, batch):
        rng, chosen = self.rng, []
        if draft.organisation:
            roll = rng.random()
            if roll < 0.15:
                chosen.append("Enterprise")
            elif roll < 0.85:
                chosen.append("SMB")
            elif roll < 0.97:
                chosen.append("Public sector")
            if rng.random() < 0.1:
                chosen.append("Key accounts")
            if rng.random() < 0.05:
                chosen.append("Partners")
        elif rng.random() < 0.7:
            chosen.append("Consumers")
        for name in chosen:
            batch.rows[CUSTOMER_SEGMENTS].append(
                (self.ids[CUSTOMER_SEGMENTS](), draft.id, self.segments[name])
            )


# --- Writers --------------------------------------------------------------------------------


class BulkWriter:
    """executemany with values adapted by the backend; for SQLite and any other database."""

    def __init__(self, connection):
        self.connection = connection
        self._adapters = {}

    def write(self, table, rows):
        if not rows:
            return
        adapters = self._adapters.get(table)
        if adapters is None:
            adapters = self._adapters[table] = self._adapters_for(table)
        if any(adapters):
            rows = [
                tuple(
                    adapt(value) if adapt and value is not None else value
                    for adapt, value in zip(adapters, row, strict=True)
                )
                for row in rows
            ]
        qn = self.connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            qn(table.db_table),
            ", ".join(qn(column) for column in table.columns),
            ", ".join(["%s"] * len(table.columns)),
        )
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def _adapters_for(self, table):
        ops = self.connection.ops
        adapters = []
        for model_field in table.fields:
            internal_type = model_field.get_internal_type()
            if internal_type == "DateTimeField":
                adapters.append(ops.adapt_datetimefield_value)
            elif internal_type == "DateField":
                adapters.append(ops.adapt_datefield_value)
            else:
                adapters.append(None)
        return adapters

    def finish(self, tables):
        """After the last batch."""

    def reset_sequences(self, tables):
        sql = self.connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
        if sql:
            with self.connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)


class CopyWriter(BulkWriter):
    """PostgreSQL COPY through psycopg 3: an order of magnitude faster than INSERTs."""

    def write(self, table, rows):
        if not rows:
            return
        qn = self.connection.ops.quote_name
        statement = "COPY {} ({}) FROM STDIN".format(
            qn(table.db_table), ", ".join(qn(column) for column in table.columns)
        )
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self, tables):
        # Fresh statistics, so the app's queries are planned for the new volume right away
        # instead of after autovacuum gets round to it.
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {qn(table.db_table)}")


def writer_for(connection):
    return CopyWriter(connection) if connection.vendor == "postgresql" else BulkWriter(connection)


@dataclass
class Progress:
    batch: int
    batches: int
    customers: int
    rows: int
    seconds: float


def generate(
    *,
    customers,
    seed=1,
    batch_size=5000,
    staff=None,
    today=None,
    progress=None,
    using=DEFAULT_DB_ALIAS,
):
    """Write `customers` customers with their history; returns the rows written per model name.

    `staff` defaults to the users holding a role (creating a generated team if nobody does);
    `progress` is called with a `Progress` after every batch.
    """
    if seed < 0:
        raise ValueError("The seed must not be negative.")
    connection = connections[using]
    staff = staff or ensure_staff()
    generator = DataGenerator(
        seed=seed,
        staff=staff,
        segments=ensure_segments(),
        today=today or timezone.localdate(),
        tz=timezone.get_current_timezone(),
        ids=Ids(using),
    )
    writer = writer_for(connection)
    totals = dict.fromkeys((table.model._meta.label for table in TABLES), 0)
    spans = [
        range(first, min(first + batch_size, customers))
        for first in range(0, customers, batch_size)
    ]
    started = time.perf_counter()
    # The next batch is generated while the database indexes and checks the current one: the
    # driver releases the GIL while it waits, so the two overlap on a multi-core machine.
    with ThreadPoolExecutor(max_workers=1) as ahead:
        pending = ahead.submit(generator.batch, spans[0]) if spans else None
        for number, span in enumerate(spans, start=1):
            batch = pending.result()
            if number < len(spans):
                pending = ahead.submit(generator.batch, spans[number])
            _drop_taken_tax_ids(batch, using)
            # One transaction per batch keeps PostgreSQL's deferred foreign-key checks (and
            # memory) bounded, and a failed run leaves only whole customers behind.
            with transaction.atomic(using=using):
                for table in TABLES:
                    writer.write(table, batch.rows[table])
                    totals[table.model._meta.label] += len(batch.rows[table])
                writer.reset_sequences(TABLES)
            if progress:
                progress(
                    Progress(
                        batch=number,
                        batches=len(spans),
                        customers=span.stop,
                        rows=sum(totals.values()),
                        seconds=time.perf_counter() - started,
                    )
                )
    writer.finish(TABLES)
    return totals


def _drop_taken_tax_ids(batch, using):
    """Generated tax ids never repeat each other, but a hand-entered customer may hold one."""
    rows = batch.rows[CUSTOMERS]
    wanted = [row[TAX_ID_COLUMN] for row in rows if row[TAX_ID_COLUMN]]
    # Excluding "" lets PostgreSQL use the partial unique index: it cannot prove that a long
    # IN list implies the index's condition, and would scan the whole table for every batch.
    taken = set(
        Customer.objects.using(using)
        .filter(tax_id__in=wanted)
        .exclude(tax_id="")
        .order_by()
        .values_list("tax_id", flat=True)
    )
    if taken:
        for index, row in enumerate(rows):
            if row[TAX_ID_COLUMN] in taken:
                rows[index] = (*row[:TAX_ID_COLUMN], "", *row[TAX_ID_COLUMN + 1 :])


def parse_size(text):
    """'1000', '100k', '1M' -> an int."""
    text = str(text).strip().lower().replace("_", "")
    factor = 1
    if text.endswith("k"):
        factor, text = 1000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    value = int(float(text) * factor)
    if value < 0:
        raise ValueError(text)
    return value
