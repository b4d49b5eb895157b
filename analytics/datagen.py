"""Deterministic bulk data: customers with their whole history, for demos and load tests.

Each customer is drawn from its own random stream, seeded with the run's seed and the customer's
ordinal, so the same seed gives the same data whatever the batch size. Primary keys are assigned
here, counting on from the tables' current maxima, so a batch's rows reference their parents
without a round trip; a writer then streams each batch in one transaction (COPY on PostgreSQL,
executemany elsewhere).

To add a kind of row: declare a `Table`, add it to `TABLES` after the tables it references, and
emit its rows from a `DataGenerator` method called per customer.

Billing: signed contracts only in an active current relationship (so their customer is active);
recurring ones get one invoice per started period (relationships.services.billing_periods), and
their terms keep that to at most MAX_PERIODS (12), so the billing job finds nothing left to bill.
Payments add up to each invoice's paid amount. Processes: the definitions (PROCESS_SPECS) are
created once by name through the ORM; every instance is bulk-written with its transition log,
work, cost (fixed costs of the stages entered + work at the hourly rate), stage deadline and
ticket SLA times computed as processes.services computes them, and a collection case for every
invoice still unpaid after the grace period. Only the few tasks and the pending discount
approval at the end of a run go through the services (`add_worklist`); the watch job is left
to load_demo or the scheduler. Not generated: documents (they need files), contract history
rows, interactions about invoices, and the approvals behind written-off collection cases.
"""

import calendar
import functools
import itertools
import random
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from faker import Faker

from core.permissions import ALL_ROLES, FINANCE, MANAGER, SALES, SERVICE
from customers.models import ContactPerson, Customer, Segment
from processes import services as process_services
from processes.models import (
    CollectionCase,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    SlaPolicy,
    Stage,
    StageTransition,
    Ticket,
    WorkLog,
)
from relationships.models import (
    Asset,
    Contract,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
)
from relationships.services import billing_periods

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
CONTRACTS = Table(
    Contract,
    """
    id customer_id relationship_id number title product value currency billing_period
    start_date end_date status signed_on terminated_at terminated_by_id termination_reason
    created_by_id created_at
    """,
)
INVOICES = Table(
    Invoice,
    """
    id customer_id contract_id number issue_date due_date amount currency paid_amount
    period_start period_end written_off_at written_off_by_id write_off_reason created_by_id
    created_at
    """,
)
PAYMENTS = Table(
    Payment,
    "id invoice_id customer_id amount currency paid_on method reference recorded_by_id created_at",
)
PAYOUTS = Table(
    Payout,
    """
    id customer_id kind amount currency reason status requested_by_id requested_at
    approved_by_id approved_at rejected_by_id rejected_at rejection_reason paid_at paid_by_id
    """,
)
ASSETS = Table(
    Asset,
    """
    id customer_id contract_id name model serial_number installed_on location status
    created_by_id created_at
    """,
)
INSTANCES = Table(
    ProcessInstance,
    """
    id definition_id customer_id title owner_id stage_id amount currency discount_percent
    expected_close_on outcome outcome_reason accrued_cost campaign_id opened_at opened_by_id
    closed_at stage_entered_at stage_due_at last_activity_at
    """,
)
TRANSITIONS = Table(StageTransition, "id instance_id from_stage_id to_stage_id at by_id note")
WORK_LOGS = Table(WorkLog, "id instance_id user_id minutes note cost logged_at")
TICKETS = Table(
    Ticket,
    """
    instance_id contact_person_id asset_id priority description response_due_at
    resolution_due_at first_response_at first_response_by_id resolved_at
    """,
)
COLLECTION_CASES = Table(CollectionCase, "instance_id invoice_id balance_at_open reminders_sent")
# Parents before children, for a database that checks foreign keys per statement.
TABLES = (
    CUSTOMERS,
    CUSTOMER_SEGMENTS,
    CONTACTS,
    RELATIONSHIPS,
    INTERACTIONS,
    CONTRACTS,
    INVOICES,
    PAYMENTS,
    PAYOUTS,
    ASSETS,
    INSTANCES,
    TRANSITIONS,
    WORK_LOGS,
    TICKETS,
    COLLECTION_CASES,
)
# Ticket and collection case rows take their instance's key.
KEYED_TABLES = tuple(table for table in TABLES if table not in (TICKETS, COLLECTION_CASES))
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


# --- Billing and process content per country -------------------------------------------------
# (title, product, monthly value in PLN: low, high).
PRODUCTS = {
    "PL": (
        ("Umowa serwisowa", "Serwis i konserwacja urządzeń", 300, 2500),
        ("Abonament na oprogramowanie", "Licencja CRM w chmurze", 150, 1800),
        ("Outsourcing IT", "Wsparcie informatyczne", 800, 6000),
        ("Dostawy materiałów", "Materiały eksploatacyjne", 200, 3000),
        ("Wynajem sprzętu", "Wynajem drukarek i skanerów", 250, 1500),
    ),
    "CZ": (
        ("Servisní smlouva", "Servis a údržba zařízení", 300, 2500),
        ("Předplatné softwaru", "Licence CRM v cloudu", 150, 1800),
        ("Outsourcing IT", "IT podpora", 800, 6000),
        ("Dodávky materiálu", "Spotřební materiál", 200, 3000),
        ("Pronájem techniky", "Pronájem tiskáren a skenerů", 250, 1500),
    ),
    "GB": (
        ("Service agreement", "Equipment service and maintenance", 300, 2500),
        ("Software subscription", "Cloud CRM licence", 150, 1800),
        ("Managed IT", "IT support", 800, 6000),
        ("Supplies", "Consumables", 200, 3000),
        ("Equipment rental", "Printer and scanner rental", 250, 1500),
    ),
}
# Monthly PLN values convert roughly; nobody bills 1234.56 EUR per month from a PLN price list.
CURRENCY_FACTOR = {"PLN": 1.0, "EUR": 0.25, "CZK": 6.0}
TERMINATION_REASONS = {
    "PL": ("Klient rezygnuje z usługi.", "Zmiana dostawcy.", "Zaległości w płatnościach."),
    "CZ": ("Zákazník ruší službu.", "Změna dodavatele.", "Neplacení faktur."),
    "GB": ("Customer cancelled the service.", "Switched supplier.", "Unpaid invoices."),
}
WRITE_OFF_REASONS = {
    "PL": ("Dług nieściągalny.", "Firma w upadłości.", "Koszt windykacji przewyższa dług."),
    "CZ": ("Nedobytná pohledávka.", "Firma v insolvenci.", "Vymáhání by stálo víc než dluh."),
    "GB": ("Uncollectable debt.", "Company in insolvency.", "Collection would cost more."),
}
PAYOUT_REASONS = {
    "refund": ("Overpaid invoice refunded.", "Returned goods.", "Cancelled order refunded."),
    "claim": ("Compensation for a delayed delivery.", "Service outage credit."),
    "bonus": ("Annual loyalty bonus.", "Referral bonus."),
}
REJECTION_REASONS = (
    "Not covered by the contract.",
    "Claim not substantiated.",
    "Duplicate request.",
)
EQUIPMENT = (
    ("Printer", "HP LaserJet M507", "HPL"),
    ("Multifunction printer", "Canon iR-ADV C5840", "CNR"),
    ("Router", "Cisco ISR 1111", "CIS"),
    ("Laptop", "Lenovo ThinkPad T14", "LNV"),
    ("POS terminal", "Ingenico Move/5000", "ING"),
    ("Server", "Dell PowerEdge R650", "DEL"),
    ("Coffee machine", "Jura GIGA X8", "JUR"),
)
LOCATIONS = ("Reception", "Office 1st floor", "Warehouse", "Server room", "Shop floor", "")
LOST_REASONS = (
    "Chose a competitor.",
    "Price too high.",
    "No budget this year.",
    "Project postponed.",
    "No response after the proposal.",
)
TICKET_SUBJECTS = (
    "Device does not start",
    "Invoice access in the portal",
    "Slow connection",
    "Login problem",
    "Error after update",
    "Paper jam",
    "Request for a replacement part",
    "Question about settings",
)
RESOLUTION_NOTES = (
    "Fixed on site.",
    "Solved remotely.",
    "Part replaced.",
    "Configuration changed.",
)
CANCEL_NOTES = ("Duplicate ticket.", "Customer solved it themselves.", "Opened by mistake.")
TASK_TITLES = ("Call back about the offer", "Send the signed contract", "Check payment status")


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

# Recurring contracts: periods billed per year's worth of the monthly price.
PERIOD_FACTOR = {
    Contract.BillingPeriod.MONTHLY: 1,
    Contract.BillingPeriod.QUARTERLY: 3,
    Contract.BillingPeriod.YEARLY: 12,
}
PERIOD_DRAW = _weighted(
    (
        (Contract.BillingPeriod.MONTHLY, 45),
        (Contract.BillingPeriod.QUARTERLY, 25),
        (Contract.BillingPeriod.YEARLY, 15),
        (Contract.BillingPeriod.ONE_OFF, 15),
    )
)
PAYMENT_METHOD_DRAW = _weighted(
    (
        (Payment.Method.BANK_TRANSFER, 70),
        (Payment.Method.CARD, 12),
        (Payment.Method.DIRECT_DEBIT, 12),
        (Payment.Method.CASH, 4),
        (Payment.Method.OTHER, 2),
    )
)
PAYOUT_KIND_DRAW = _weighted(
    ((Payout.Kind.REFUND, 5), (Payout.Kind.CLAIM, 3), (Payout.Kind.BONUS, 2))
)
ASSET_STATUS_DRAW = _weighted(
    ((Asset.Status.IN_USE, 85), (Asset.Status.UNDER_REPAIR, 10), (Asset.Status.RETIRED, 5))
)
# Invoices per contract at most: monthly terms run a year, open-ended ones started within a
# year (contract_end), which keeps 1M customers within the time budget.
MAX_PERIODS = 12
PAYMENT_TERM_DAYS = settings.INVOICE_PAYMENT_TERM_DAYS
ZERO = Decimal("0.00")


def money(cents):
    return Decimal(cents).scaleb(-2)


def add_months(day, months):
    """As relationships.services counts billing periods: the same day, or the month's last."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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
    # Invoices, payments and write-offs; support tickets. Empty: the authors do it.
    finance: tuple = ()
    service: tuple = ()

    @classmethod
    def from_users(cls, users=None):
        """Staff from `users` (default: everyone holding a role), by their role groups."""
        queryset = get_user_model().objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        if users is not None:
            queryset = queryset.filter(pk__in=[user.pk for user in users])
        by_role = {role: [] for role in ALL_ROLES}
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
            owners=pick(((SALES, 4), (MANAGER, 1))),
            creators=pick(((SALES, 3), (SERVICE, 1))),
            authors=pick(((SALES, 3), (SERVICE, 3), (FINANCE, 1), (MANAGER, 1))),
            # Only managers may end a relationship (relationships.end_relationship).
            managers=pick(((MANAGER, 1),)),
            # Write-offs and payments (relationships.write_off, .register_payments): finance, at
            # times a manager.
            finance=pick(((FINANCE, 4), (MANAGER, 1))),
            service=pick(((SERVICE, 1),)),
        )


GENERATOR_STAFF = ((SALES, 4), (SERVICE, 2), (FINANCE, 1), (MANAGER, 1))


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


# --- Process definitions --------------------------------------------------------------------
# (name, kind, hourly rate, stall days, stages, SLA per priority). A stage: (name, code, SLA
# hours, win probability, outcome, fixed cost).
WON, LOST = Stage.Outcome.WON, Stage.Outcome.LOST
RESOLVED, CANCELLED = Stage.Outcome.RESOLVED, Stage.Outcome.CANCELLED
SUPPORT_STAGES = (
    ("In progress", "", None, None, "", 0),
    ("Waiting for customer", "", None, None, "", 0),
    ("Resolved", "", None, None, RESOLVED, 0),
    ("Cancelled", "", None, None, CANCELLED, 0),
)
PROCESS_SPECS = (
    (
        "SMB sales",
        ProcessDefinition.Kind.SALES,
        100,
        None,
        (
            ("Lead", "lead", 48, 10, "", 0),
            ("Qualified", "qualified", None, 30, "", 0),
            ("Proposal", "proposal", None, 60, "", 50),
            ("Won", "won", None, 100, WON, 0),
            ("Lost", "lost", None, 0, LOST, 0),
        ),
        None,
    ),
    (
        "Enterprise sales",
        ProcessDefinition.Kind.SALES,
        150,
        14,
        (
            ("Lead", "lead", 72, 5, "", 0),
            ("Qualified", "qualified", None, 15, "", 0),
            ("Discovery", "discovery", None, 25, "", 100),
            ("Solution design", "solution_design", None, 40, "", 200),
            ("Proposal", "proposal", None, 60, "", 300),
            ("Negotiation", "negotiation", None, 80, "", 0),
            ("Won", "won", None, 100, WON, 0),
            ("Lost", "lost", None, 0, LOST, 0),
        ),
        None,
    ),
    (
        "Standard support",
        ProcessDefinition.Kind.SUPPORT,
        90,
        None,
        (("New", "new", 4, None, "", 0), *SUPPORT_STAGES),
        {"low": (24, 120), "normal": (8, 40), "high": (4, 16), "urgent": (2, 8)},
    ),
    (
        "24/7 support",
        ProcessDefinition.Kind.SUPPORT,
        120,
        None,
        (("New", "new", 1, None, "", 0), *SUPPORT_STAGES),
        {"low": (8, 48), "normal": (4, 24), "high": (1, 8), "urgent": (1, 4)},
    ),
    (
        "Collections",
        ProcessDefinition.Kind.COLLECTIONS,
        80,
        30,
        (
            ("Reminder", "reminder", 14 * 24, None, "", 0),
            ("Demand", "demand", 16 * 24, None, "", 0),
            ("Final notice", "final_notice", 30 * 24, None, "", 20),
            ("Legal", "legal", None, None, "", 300),
            ("Settled", "settled", None, None, WON, 0),
            ("Written off", "written_off", None, None, LOST, 0),
        ),
        None,
    ),
    (
        "Retention",
        ProcessDefinition.Kind.RETENTION,
        90,
        None,
        (
            ("Contact", "contact", None, None, "", 0),
            ("Offer", "offer", None, None, "", 0),
            ("Won", "won", None, None, WON, 0),
            ("Lost", "lost", None, None, LOST, 0),
        ),
        None,
    ),
)
PRIORITY_DRAW = _weighted((("low", 25), ("normal", 45), ("high", 20), ("urgent", 10)))


@dataclass(frozen=True, slots=True)
class FlowStage:
    id: int
    code: str
    sla_hours: int | None
    outcome: str
    fixed_cost: int  # cents


@dataclass(frozen=True)
class Flow:
    """A definition as the generator uses it: working stages in order, terminal stages by
    outcome, the hourly rate in cents and (support) the SLA hours per priority."""

    definition_id: int
    currency: str
    rate: int
    working: tuple
    terminal: dict
    sla: dict


def ensure_processes():
    """The generated data's process definitions, created once (by name), as `Flow`s.

    Definitions already present are used as they are now, so stages edited by hand are kept.
    """
    flows = {}
    for name, kind, rate, stall_days, stages, sla in PROCESS_SPECS:
        with transaction.atomic():
            definition, created = ProcessDefinition.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "hourly_rate": Decimal(rate), "stall_days": stall_days},
            )
            if created:
                Stage.objects.bulk_create(
                    Stage(
                        definition=definition,
                        position=position,
                        name=stage_name,
                        code=code,
                        sla_hours=sla_hours,
                        win_probability=probability,
                        outcome=outcome,
                        fixed_cost=Decimal(cost),
                    )
                    for position, (stage_name, code, sla_hours, probability, outcome, cost) in (
                        enumerate(stages, start=1)
                    )
                )
                SlaPolicy.objects.bulk_create(
                    SlaPolicy(
                        definition=definition,
                        priority=priority,
                        response_hours=hours[0],
                        resolution_hours=hours[1],
                    )
                    for priority, hours in (sla or {}).items()
                )
        rows = [
            FlowStage(pk, code, sla_hours, outcome, int(cost * 100))
            for pk, code, sla_hours, outcome, cost in definition.stages.order_by(
                "position"
            ).values_list("pk", "code", "sla_hours", "outcome", "fixed_cost")
        ]
        working = tuple(stage for stage in rows if not stage.outcome)
        terminal = {stage.outcome: stage for stage in reversed(rows) if stage.outcome}
        if not working or not definition.active:
            continue
        flows[name] = Flow(
            definition_id=definition.pk,
            currency=definition.currency,
            rate=int(definition.hourly_rate * 100),
            working=working,
            terminal=terminal,
            sla={
                policy.priority: (policy.response_hours, policy.resolution_hours)
                for policy in definition.sla_policies.all()
            },
        )
    return flows


def ensure_campaign(flows, *, staff, today, tz):
    """This year's key-account retention campaign; the generator adds its instances."""
    flow = flows.get("Retention")
    if flow is None:
        return None
    segment = Segment.objects.filter(name="Key accounts").first()
    started_at = datetime.combine(today - timedelta(days=30), datetime.min.time(), tzinfo=tz)
    campaign, _ = RetentionCampaign.objects.get_or_create(
        name=f"Key accounts {today:%Y}",
        definition_id=flow.definition_id,
        defaults={
            "segment": segment,
            "started_by_id": staff.managers[0],
            "started_at": started_at + timedelta(hours=9),
        },
    )
    return campaign


# --- The generator --------------------------------------------------------------------------


class Batch:
    """The rows of a run of customers, per table."""

    def __init__(self):
        self.rows = {table: [] for table in TABLES}


class Ids:
    """Primary keys handed out in Python, counting on from each table's current maximum."""

    def __init__(self, using):
        self._next, self.first = {}, {}
        for table in KEYED_TABLES:
            current = table.model._base_manager.using(using).aggregate(top=models.Max("pk"))["top"]
            self.first[table] = (current or 0) + 1
            self._next[table] = itertools.count(self.first[table]).__next__

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
    segments: list = field(default_factory=list)
    currency: str = "PLN"
    contracts: list = field(default_factory=list)
    assets: list = field(default_factory=list)

    def at(self, day, seconds):
        return self.midnight + timedelta(days=day, seconds=seconds)

    def day(self, day):
        return self.first_contact_on + timedelta(days=day)

    def day_of(self, on):
        return (on - self.first_contact_on).days


@dataclass(frozen=True, slots=True)
class PlannedContract:
    id: int
    number: str
    title: str
    status: str
    billing_period: str
    start_date: date
    end_date: date | None
    signed_on: date | None
    currency: str
    value: int  # cents


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

    def __init__(self, *, seed, staff, segments, today, tz, ids, flows=None, campaign=None):
        self.seed = seed
        self.staff = staff
        self.segments = segments
        self.today = today
        self.tz = tz
        self.ids = ids
        self.flows = flows or {}
        self.campaign = campaign
        self.rng = random.Random()
        self.pools = {locale.code: Pools.drawn(locale, seed) for locale in LOCALES}
        # Nothing generated happens on or after today's midnight, so it is all in the past.
        self.horizon = datetime.combine(today, datetime.min.time(), tzinfo=tz)
        self.finance = staff.finance or staff.authors
        self.service = staff.service or staff.authors
        self.approvers = tuple(dict.fromkeys(staff.managers))

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
        self.contracts(draft, batch)
        self.payouts(draft, batch)
        self.assets(draft, batch)
        if self.flows:
            self.sales(draft, batch)
            self.tickets(draft, batch)
            self.retention(draft, batch)
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
        draft.segments = chosen
        for name in chosen:
            batch.rows[CUSTOMER_SEGMENTS].append(
                (self.ids[CUSTOMER_SEGMENTS](), draft.id, self.segments[name])
            )

    # --- Billing --------------------------------------------------------------------------

    def moment(self, draft, day, low=WORKDAY_START, high=WORKDAY_END):
        """A time on `day` (days from the first contact), never after the horizon."""
        return min(
            draft.at(day, self.rng.randrange(low, high)), self.horizon - timedelta(minutes=1)
        )

    def contracts(self, draft, batch):
        """Contracts of the current relationship: signed (and billed) ones only when it is
        active, so a customer with a signed contract is always an active customer."""
        rng, today, latest = self.rng, self.today, draft.relationships[-1]
        country = draft.locale.country
        if country == "CZ":
            draft.currency = "CZK" if rng.random() < 0.85 else "EUR"
        elif country == "GB":
            draft.currency = "EUR"
        else:
            draft.currency = "PLN" if rng.random() < 0.92 else "EUR"
        signed = 0
        if latest.status == Relationship.Status.ACTIVE and rng.random() < 0.6:
            signed = rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 2, 3))
        drafts = 0
        if latest.status != Relationship.Status.ENDED:
            prospect = latest.status == Relationship.Status.PROSPECT
            drafts = int(rng.random() < (0.2 if prospect else 0.05))
        for index in range(signed + drafts):
            contract_id = self.ids[CONTRACTS]()
            number = f"C-{draft.id}-{index + 1}"
            title, product, low, high = rng.choice(PRODUCTS[country])
            period = rng.choice(PERIOD_DRAW)
            monthly = rng.randint(low, high) // 10 * 10
            units = monthly * PERIOD_FACTOR.get(period, 0) or monthly * rng.randint(3, 12)
            value = max(10, int(units * CURRENCY_FACTOR[draft.currency])) * 100
            terminated_at, terminated_by, reason, terminated_on = None, None, "", None
            if index >= signed:
                status, signed_on = Contract.Status.DRAFT, None
                start = today + timedelta(days=rng.randint(7, 45))
                end = None if rng.random() < 0.5 else add_months(start, 12) - timedelta(days=1)
            else:
                sign_day = rng.randrange(latest.start, draft.lifetime)
                signed_on = draft.day(sign_day)
                start = min(signed_on + timedelta(days=rng.randint(0, 14)), today)
                end = self.contract_end(period, start)
                last = min(end, today - timedelta(days=1)) if end else today - timedelta(days=1)
                if (last - start).days >= 30 and rng.random() < 0.08:
                    status = Contract.Status.TERMINATED
                    terminated_on = start + timedelta(days=rng.randint(30, (last - start).days))
                    terminated_at = self.moment(draft, draft.day_of(terminated_on))
                    terminated_by = draft.owner
                    reason = rng.choice(TERMINATION_REASONS[country])
                elif end is not None and end < today:
                    status = Contract.Status.EXPIRED
                else:
                    status = Contract.Status.ACTIVE
            created_day = draft.day_of(signed_on) if signed_on else draft.lifetime - 1
            contract = PlannedContract(
                contract_id,
                number,
                title,
                status,
                period,
                start,
                end,
                signed_on,
                draft.currency,
                value,
            )
            draft.contracts.append(contract)
            batch.rows[CONTRACTS].append(
                (
                    contract_id,
                    draft.id,
                    latest.id,
                    number,
                    title,
                    product,
                    money(value),
                    draft.currency,
                    period,
                    start,
                    end,
                    status,
                    signed_on,
                    terminated_at,
                    terminated_by,
                    reason,
                    draft.owner,
                    self.moment(draft, max(created_day, latest.start)),
                )
            )
            if signed_on:
                self.invoices(draft, batch, contract, until=terminated_on or today)

    def contract_end(self, period, start):
        """Fixed terms of a year (yearly contracts: one to three); open-ended only where the
        history stays short, so every started period is invoiced in at most MAX_PERIODS invoices
        (and the billing job, run on the generated data, finds nothing left to bill)."""
        rng = self.rng
        if period == Contract.BillingPeriod.ONE_OFF:
            return start + timedelta(days=rng.randint(0, 90)) if rng.random() < 0.7 else None
        if period == Contract.BillingPeriod.YEARLY:
            if rng.random() < 0.5:
                return None
            return add_months(start, 12 * rng.randint(1, 3)) - timedelta(days=1)
        recent = add_months(start, MAX_PERIODS) > self.today
        if recent and rng.random() < 0.6:
            return None
        return add_months(start, 12) - timedelta(days=1)

    def invoices(self, draft, batch, contract, *, until):
        if contract.billing_period == Contract.BillingPeriod.ONE_OFF:
            if contract.start_date > until:
                return
            periods = [(contract.start_date, None, None)]
        else:
            periods = [
                (start, start, end) for start, end in billing_periods(contract, until=until)
            ][-MAX_PERIODS:]
        by = None if contract.billing_period != Contract.BillingPeriod.ONE_OFF else draft.owner
        for issue, period_start, period_end in periods:
            self.invoice(draft, batch, contract, issue, period_start, period_end, by)

    def invoice(self, draft, batch, contract, issue, period_start, period_end, by):
        rng, today = self.rng, self.today
        invoice_id = self.ids[INVOICES]()
        number = f"{contract.number}/{issue:%Y-%m-%d}"
        amount = contract.value
        due = issue + timedelta(days=PAYMENT_TERM_DAYS)
        payments, write_off = self.settlement(amount, issue, due)
        paid = 0
        for cents, paid_on in payments:
            paid += cents
            method = rng.choice(PAYMENT_METHOD_DRAW)
            payment_id = self.ids[PAYMENTS]()
            if method == Payment.Method.BANK_TRANSFER:
                reference = number if rng.random() < 0.7 else f"TR/{paid_on:%Y%m%d}/{payment_id}"
            elif method == Payment.Method.CASH:
                reference = f"KP/{paid_on:%Y}/{payment_id}"
            else:
                reference = ""
            batch.rows[PAYMENTS].append(
                (
                    payment_id,
                    invoice_id,
                    draft.id,
                    money(cents),
                    contract.currency,
                    paid_on,
                    method,
                    reference,
                    rng.choice(self.finance),
                    self.moment(draft, draft.day_of(paid_on)),
                )
            )
        written_off_at, written_off_by, reason = None, None, ""
        if write_off is not None:
            written_off_at = self.moment(draft, draft.day_of(write_off))
            written_off_by = rng.choice(self.finance)
            reason = rng.choice(WRITE_OFF_REASONS[draft.locale.country])
        batch.rows[INVOICES].append(
            (
                invoice_id,
                draft.id,
                contract.id,
                number,
                issue,
                due,
                money(amount),
                contract.currency,
                money(paid),
                period_start,
                period_end,
                written_off_at,
                written_off_by,
                reason,
                by,
                self.moment(draft, draft.day_of(issue), 6 * 3600, 7 * 3600),
            )
        )
        grace = due + timedelta(days=settings.COLLECTIONS_GRACE_DAYS)
        if grace < today and self.flows.get("Collections"):
            owed = amount - sum(cents for cents, paid_on in payments if paid_on <= grace)
            if owed > 0:
                self.collection_case(
                    draft,
                    batch,
                    invoice_id,
                    number,
                    contract.currency,
                    grace,
                    owed,
                    paid_off=payments[-1][1] if paid == amount else None,
                    written_off=(written_off_at, written_off_by, reason) if write_off else None,
                )

    def settlement(self, amount, issue, due):
        """The payments of an invoice ([(cents, date)], in date order) and the day it was
        written off, if it was: mostly paid on time, some late, a few partly or not at all."""
        rng, today = self.rng, self.today
        if issue >= today:
            return [], None

        def between(first, last):
            return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))

        def part():
            return max(100, amount * rng.randint(20, 70) // 100 // 100 * 100)

        roll = rng.random()
        if due >= today:  # Not due yet: some pay early, the rest are still open.
            if roll < 0.4:
                return [(amount, between(issue, today))], None
            if roll < 0.5 and amount > 100:
                return [(part(), between(issue, today))], None
            return [], None
        if roll < 0.75 or roll >= 0.98:
            if rng.random() < 0.1 and amount > 100:
                first = part()
                on = between(issue, due)
                return [(first, on), (amount - first, between(on, due))], None
            return [(amount, between(issue, due))], None
        if roll < 0.87:
            days = rng.randint(1, 7) if rng.random() < 0.7 else rng.randint(8, 90)
            return [(amount, min(due + timedelta(days=days), today))], None
        payments = []
        if rng.random() < 0.5 and amount > 100:
            payments.append((part(), between(issue, today)))
        if roll >= 0.95:
            written_off = due + timedelta(days=rng.randint(60, 240))
            if written_off < today:
                return [(c, d) for c, d in payments if d <= written_off], written_off
        return payments, None

    def payouts(self, draft, batch):
        rng, staff = self.rng, self.staff
        if draft.lifetime < 30 or rng.random() >= 0.05:
            return
        kind = rng.choice(PAYOUT_KIND_DRAW)
        day = rng.randrange(max(0, draft.lifetime - 720), draft.lifetime)
        requested_at = self.moment(draft, day)
        requested_by = rng.choice(staff.authors)
        large = rng.random() < 0.35
        amount = rng.randint(1001, 8000) if large else rng.randint(50, 1000)
        approvers = [user for user in self.approvers if user != requested_by]
        roll = rng.random()
        approved_by = approved_at = rejected_by = rejected_at = paid_at = paid_by = None
        reason = ""
        recent = draft.lifetime - day < 21
        if large and (recent or roll < 0.35 or not approvers):
            status = Payout.Status.REQUESTED
        elif roll < 0.85 or (large and roll < 0.9):
            later = min(day + rng.randint(1, 10), draft.lifetime - 1)
            if large:
                approved_by = rng.choice(approvers)
                approved_at = self.moment(draft, later)
                later = min(later + rng.randint(0, 5), draft.lifetime - 1)
            status = Payout.Status.APPROVED
            if not large or roll < 0.85:
                status = Payout.Status.PAID
                paid_at = max(self.moment(draft, later), approved_at or requested_at)
                paid_by = rng.choice(self.finance)
        else:
            status = Payout.Status.REJECTED
            rejected_by = rng.choice(self.approvers)
            rejected_at = self.moment(draft, min(day + rng.randint(1, 10), draft.lifetime - 1))
            reason = rng.choice(REJECTION_REASONS)
        batch.rows[PAYOUTS].append(
            (
                self.ids[PAYOUTS](),
                draft.id,
                kind,
                money(amount * 100),
                draft.currency,
                rng.choice(PAYOUT_REASONS[kind]),
                status,
                requested_by,
                requested_at,
                approved_by,
                approved_at,
                rejected_by,
                rejected_at,
                reason,
                paid_at,
                paid_by,
            )
        )

    def assets(self, draft, batch):
        rng, today = self.rng, self.today
        signed = [contract for contract in draft.contracts if contract.signed_on]
        if not signed or rng.random() >= 0.35:
            return
        for _ in range(rng.choice((1, 1, 2, 3))):
            asset_id = self.ids[ASSETS]()
            contract = rng.choice(signed) if rng.random() < 0.8 else None
            name, model, prefix = rng.choice(EQUIPMENT)
            since = contract.start_date if contract else draft.day(draft.relationships[-1].start)
            installed_on = min(since + timedelta(days=rng.randint(0, 20)), today)
            ended = contract is not None and contract.status in (
                Contract.Status.EXPIRED,
                Contract.Status.TERMINATED,
            )
            if ended:
                status = Asset.Status.RETURNED if rng.random() < 0.6 else Asset.Status.RETIRED
            else:
                status = rng.choice(ASSET_STATUS_DRAW)
            if status == Asset.Status.IN_USE:
                draft.assets.append(asset_id)
            serial = f"{prefix}{_permute(asset_id, 10**9, 387_420_489, 271_828):09d}"
            batch.rows[ASSETS].append(
                (
                    asset_id,
                    draft.id,
                    contract.id if contract else None,
                    name,
                    model,
                    serial,
                    installed_on,
                    rng.choice(LOCATIONS),
                    status,
                    rng.choice(self.service),
                    self.moment(draft, draft.day_of(installed_on)),
                )
            )

    # --- Processes ------------------------------------------------------------------------

    def instance(
        self,
        batch,
        flow,
        draft,
        *,
        title,
        owner,
        opened_by,
        moves,
        work=(),
        amount=None,
        currency="",
        discount=ZERO,
        expected_close_on=None,
        campaign_id=None,
        touched=None,
    ):
        """One instance from its moves [(stage, at, by, note)], the opening first, and its work
        [(user, minutes, at)]: cost, current stage, deadline and closing follow from them as
        processes.services computes them."""
        instance_id = self.ids[INSTANCES]()
        cost, previous = 0, None
        transitions = batch.rows[TRANSITIONS]
        for stage, at, by, note in moves:
            transitions.append(
                (
                    self.ids[TRANSITIONS](),
                    instance_id,
                    previous.id if previous else None,
                    stage.id,
                    at,
                    by,
                    note,
                )
            )
            cost += stage.fixed_cost
            previous = stage
        last_activity = moves[-1][1]
        for user, minutes, at in work:
            # minutes x the hourly rate, in cents, rounded half up like the service.
            cents = (minutes * flow.rate * 2 + 60) // 120
            cost += cents
            last_activity = max(last_activity, at)
            batch.rows[WORK_LOGS].append(
                (self.ids[WORK_LOGS](), instance_id, user, minutes, "", money(cents), at)
            )
        if touched is not None:
            last_activity = max(last_activity, touched)
        stage, entered, _, note = moves[-1]
        closed_at = entered if stage.outcome else None
        due = None
        if not stage.outcome and stage.sla_hours:
            due = entered + timedelta(hours=stage.sla_hours)
        batch.rows[INSTANCES].append(
            (
                instance_id,
                flow.definition_id,
                draft.id,
                title,
                owner,
                stage.id,
                None if amount is None else money(amount),
                currency,
                discount,
                expected_close_on,
                stage.outcome,
                note if stage.outcome else "",
                money(cost),
                campaign_id,
                moves[0][1],
                opened_by,
                closed_at,
                entered,
                due,
                last_activity,
            )
        )
        return instance_id

    def spread(self, first, last, count):
        """`count` sorted moments from `first` (included) to before `last`."""
        span = max((last - first).total_seconds(), count)
        offsets = sorted(self.rng.uniform(0, span) for _ in range(count - 1))
        return [first, *(first + timedelta(seconds=int(offset)) for offset in offsets)]

    def work(self, users, first, last, count):
        rng = self.rng
        if last <= first:
            return []
        return [
            (rng.choice(users), rng.choice((15, 30, 45, 60, 90, 120)), moment)
            for moment in self.spread(first, last, count + 1)[1:]
        ]

    def opened_floor(self, draft, relationship):
        """The earliest moment a process can start within `relationship`."""
        if relationship.start == 0:
            return draft.at(0, draft.first_seconds + 60)
        return draft.at(relationship.start, WORKDAY_START)

    def sales(self, draft, batch):
        rng, latest = self.rng, draft.relationships[-1]
        enterprise = draft.organisation and (
            "Enterprise" in draft.segments or "Key accounts" in draft.segments or rng.random() < 0.4
        )
        flow = self.flows.get("Enterprise sales" if enterprise else "SMB sales")
        if flow is None:
            return
        cycle = (40, 180) if enterprise else (7, 60)
        signed = [contract for contract in draft.contracts if contract.signed_on]
        won, lost = flow.terminal.get(WON), flow.terminal.get(LOST)
        if signed and won:
            contract = min(signed, key=lambda contract: contract.signed_on)
            close = self.moment(draft, draft.day_of(contract.signed_on))
            opened = max(
                close - timedelta(days=rng.randint(*cycle)), self.opened_floor(draft, latest)
            )
            close = max(close, opened + timedelta(hours=1))
            amount = contract.value * PERIOD_FACTOR.get(contract.billing_period, 1)
            self.deal(
                draft,
                batch,
                flow,
                opened,
                close,
                len(flow.working),
                (won, "Contract signed."),
                amount,
                contract.currency,
            )
        if lost and latest.status == Relationship.Status.ENDED and rng.random() < 0.4:
            floor = self.opened_floor(draft, latest)
            end = latest.ended_at
            if end > floor + timedelta(days=2):
                opened = floor + (end - floor) * rng.uniform(0, 0.7)
                close = opened + (end - opened) * rng.uniform(0.2, 1)
                self.deal(
                    draft,
                    batch,
                    flow,
                    opened,
                    close,
                    rng.randint(1, len(flow.working)),
                    (lost, rng.choice(LOST_REASONS)),
                    self.deal_amount(draft),
                    draft.currency,
                )
        if latest.status == Relationship.Status.ENDED:
            return
        prospect = latest.status == Relationship.Status.PROSPECT
        if rng.random() < (0.7 if prospect else 0.3):
            floor = max(self.opened_floor(draft, latest), self.horizon - timedelta(days=cycle[1]))
            if floor < self.horizon - timedelta(hours=2):
                opened = floor + (self.horizon - floor) * rng.uniform(0, 0.9)
                close = opened + (self.horizon - opened) * rng.uniform(0.05, 1)
                self.deal(
                    draft,
                    batch,
                    flow,
                    opened,
                    close,
                    rng.randint(1, len(flow.working)),
                    None,
                    self.deal_amount(draft),
                    draft.currency,
                )

    def deal_amount(self, draft):
        units = self.rng.randint(20, 800) * 100 * CURRENCY_FACTOR[draft.currency]
        return int(units) * 100

    def deal(self, draft, batch, flow, opened, close, reached, ending, amount, currency):
        """A sales opportunity through the first `reached` working stages; `ending` (terminal
        stage, reason) closes it at `close`, else it is still open and `close` is its last move."""
        rng, owner = self.rng, draft.owner
        moments = self.spread(opened, close, reached + (ending is not None))
        moves = [
            (stage, at, owner, "")
            for stage, at in zip(flow.working[:reached], moments, strict=False)
        ]
        if ending is not None:
            moves.append((ending[0], moments[-1], owner, ending[1]))
            expected = moments[-1].astimezone(self.tz).date()
            work = self.work((owner,), opened, moments[-1], rng.randint(0, 3))
        else:
            moves[-1] = (moves[-1][0], close, owner, "")
            expected = self.today + timedelta(days=rng.randint(7, 120))
            # Some have had nothing done since the last move: those stall.
            work = self.work((owner,), opened, close, rng.choice((0, 0, 1, 2)))
        self.instance(
            batch,
            flow,
            draft,
            title=f"{draft.locale.subjects[0]}: {amount // 100} {currency}",
            owner=owner,
            opened_by=owner,
            moves=moves,
            work=work,
            amount=amount,
            currency=currency,
            discount=Decimal(5) if rng.random() < 0.15 else ZERO,
            expected_close_on=expected,
        )

    def tickets(self, draft, batch):
        rng, latest = self.rng, draft.relationships[-1]
        if latest.status == Relationship.Status.ACTIVE:
            count = rng.choice((1, 1, 2, 3)) if rng.random() < 0.4 else 0
        elif latest.status == Relationship.Status.ENDED:
            count = int(rng.random() < 0.1)
        else:
            count = 0
        premium = "Enterprise" in draft.segments or "Key accounts" in draft.segments
        flow = self.flows.get(
            "24/7 support" if premium or rng.random() < 0.15 else "Standard support"
        )
        if flow is None or not count:
            return
        floor = self.opened_floor(draft, latest)
        last = latest.ended_at if latest.ended_at else self.horizon
        if last - floor < timedelta(days=1):
            return
        resolved, cancelled = flow.terminal.get(RESOLVED), flow.terminal.get(CANCELLED)
        for _ in range(count):
            if latest.ended_at is None and rng.random() < 0.35:
                # Recent ones, some still waiting for an answer or a fix.
                opened = self.horizon - timedelta(seconds=rng.randrange(3600, 4 * 86400))
                opened = max(opened, floor)
            else:
                opened = floor + (last - floor) * rng.uniform(0, 0.97)
            priority = rng.choice(PRIORITY_DRAW)
            response_hours, resolution_hours = flow.sla.get(priority, (8, 40))
            if rng.random() < 0.85:
                respond = opened + timedelta(hours=response_hours * rng.uniform(0.05, 0.95))
            else:
                respond = opened + timedelta(hours=response_hours * rng.uniform(1.05, 3))
            if rng.random() < 0.8:
                resolve = opened + timedelta(hours=resolution_hours * rng.uniform(0.1, 0.95))
            else:
                resolve = opened + timedelta(hours=resolution_hours * rng.uniform(1.05, 2.5))
            resolve = max(resolve, respond + timedelta(minutes=10))
            if latest.ended_at is not None:
                # The relationship ended; its tickets were closed before it did.
                resolve = min(resolve, last - timedelta(minutes=1))
                respond = min(respond, resolve - timedelta(minutes=1))
            agent = rng.choice(self.service)
            new, working = flow.working[0], flow.working[1:]
            moves = [(new, opened, agent, "")]
            responded = respond < self.horizon and respond > opened
            if responded and working:
                moves.append((working[0], respond, agent, ""))
                if len(working) > 1 and rng.random() < 0.3:
                    waiting = respond + (resolve - respond) * rng.uniform(0.2, 0.8)
                    if waiting < self.horizon:
                        moves.append((working[1], waiting, agent, ""))
            ending = resolved if rng.random() < 0.92 or cancelled is None else cancelled
            closed = resolve < self.horizon and responded and ending is not None
            if closed:
                notes = RESOLUTION_NOTES if ending is resolved else CANCEL_NOTES
                moves.append((ending, resolve, agent, rng.choice(notes)))
            work = []
            if responded:
                work = self.work((agent,), respond, min(resolve, self.horizon), rng.randint(0, 2))
            contact = rng.choice(draft.contacts)[0] if draft.contacts else None
            asset = rng.choice(draft.assets) if draft.assets and rng.random() < 0.4 else None
            subject = rng.choice(TICKET_SUBJECTS)
            instance_id = self.instance(
                batch,
                flow,
                draft,
                title=subject,
                owner=agent,
                opened_by=agent if rng.random() < 0.7 else rng.choice(self.staff.creators),
                moves=moves,
                work=work,
                touched=respond if responded else None,
            )
            batch.rows[TICKETS].append(
                (
                    instance_id,
                    contact,
                    asset,
                    priority,
                    f"{subject}. {rng.choice(draft.locale.notes)}",
                    opened + timedelta(hours=response_hours),
                    opened + timedelta(hours=resolution_hours),
                    respond if responded else None,
                    agent if responded else None,
                    resolve if closed and ending.outcome == RESOLVED else None,
                )
            )

    def collection_case(
        self, draft, batch, invoice_id, number, currency, grace, owed, *, paid_off, written_off
    ):
        """The case the daily job opened on the grace day, moved on by the clock, settled when
        the invoice was paid or written off when finance gave up on it."""
        rng, flow = self.rng, self.flows["Collections"]
        owner = rng.choice(self.finance)
        opened = draft.at(draft.day_of(grace), 6 * 3600 + rng.randrange(1800))
        if paid_off is not None:
            end = draft.at(draft.day_of(paid_off), 18 * 3600)
            ending = (flow.terminal.get(WON), "Invoice paid in full.", None)
        elif written_off is not None:
            end = written_off[0]
            ending = (flow.terminal.get(LOST), written_off[2], written_off[1])
        else:
            end, ending = self.horizon, None
        if ending is not None and (ending[0] is None or end >= self.horizon):
            end, ending = self.horizon, None
        moves, reminders = [], 0
        for stage, after in zip(flow.working, (0, 13, 28, 57), strict=False):
            at = opened + timedelta(days=after)
            if at >= end:
                break
            moves.append((stage, at, None if not moves else owner, ""))
            reminders += stage.code in process_services.COLLECTION_EMAIL_STAGES
        if ending is not None:
            moves.append((ending[0], max(end, moves[-1][1]), ending[2], ending[1]))
        instance_id = self.instance(
            batch,
            flow,
            draft,
            title=f"Invoice {number}",
            owner=owner,
            opened_by=None,
            moves=moves,
            work=self.work((owner,), opened, min(end, self.horizon), rng.randint(0, 2)),
            amount=owed,
            currency=currency,
        )
        batch.rows[COLLECTION_CASES].append((instance_id, invoice_id, money(owed), reminders))

    def retention(self, draft, batch):
        rng, campaign = self.rng, self.campaign
        flow = self.flows.get("Retention")
        if (
            campaign is None
            or flow is None
            or "Key accounts" not in draft.segments
            or draft.relationships[-1].status != Relationship.Status.ACTIVE
            or not any(c.status == Contract.Status.ACTIVE for c in draft.contracts)
            or draft.first_contact_on >= campaign.started_at.date()
            or rng.random() >= 0.7
        ):
            return
        opened = campaign.started_at + timedelta(hours=rng.randint(0, 72))
        owner, roll = draft.owner, rng.random()
        reached = 1 if roll < 0.4 else 2
        moments = self.spread(opened, self.horizon - timedelta(hours=1), reached + (roll >= 0.7))
        stages = flow.working[:reached]
        moves = [(stage, at, owner, "") for stage, at in zip(stages, moments, strict=False)]
        if roll >= 0.7:
            outcome, note = (WON, "Renewed.") if roll < 0.9 else (LOST, rng.choice(LOST_REASONS))
            if flow.terminal.get(outcome):
                moves.append((flow.terminal[outcome], moments[-1], owner, note))
        self.instance(
            batch,
            flow,
            draft,
            title=campaign.name,
            owner=owner,
            opened_by=campaign.started_by_id,
            moves=moves,
            campaign_id=campaign.pk,
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

    def prepare(self, tables):
        """Before the first batch."""

    def restore(self):
        """After the last batch, and after a failed one: undo what prepare() set aside."""

    def finish(self, tables):
        """After the last batch."""

    def reset_sequences(self, tables):
        sql = self.connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
        if sql:
            with self.connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)


class CopyWriter(BulkWriter):
    """PostgreSQL COPY through psycopg 3: an order of magnitude faster than INSERTs.

    Into empty tables (a new database: the benchmarks', a fresh demo) it loads as PostgreSQL's
    manual advises under "Populating a Database": the tables' secondary indexes and foreign
    keys are set aside, then rebuilt in one pass each (the foreign keys checked by one join
    each instead of a trigger per row). They are restored after a failed load too; only a
    killed process leaves them out, with a database that holds a partial load anyway.
    """

    SECONDARY_INDEXES = """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
          AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
    """
    FOREIGN_KEYS = """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
        ORDER BY 1, 2
    """

    def __init__(self, connection):
        super().__init__(connection)
        self.indexes, self.foreign_keys = [], []

    def prepare(self, tables):
        if self.connection.in_atomic_block:
            # Inside a caller's transaction (tests) writes may still wait for their deferred
            # checks, and PostgreSQL refuses to alter those tables: load the ordinary way.
            return
        names = [table.db_table for table in tables]
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"SELECT EXISTS (SELECT FROM {qn(name)})")
                if cursor.fetchone()[0]:
                    return  # adding to existing data: every index and check stays in place
            cursor.execute(self.SECONDARY_INDEXES, [names])
            indexes = cursor.fetchall()
            cursor.execute(self.FOREIGN_KEYS, [names])
            foreign_keys = cursor.fetchall()
            with transaction.atomic(using=self.connection.alias):
                for table, constraint, _ in foreign_keys:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(constraint)}")
                for index, _ in indexes:
                    cursor.execute(f"DROP INDEX {index}")
        self.indexes, self.foreign_keys = indexes, foreign_keys

    def restore(self):
        if not (self.indexes or self.foreign_keys):
            return
        qn = self.connection.ops.quote_name
        indexes, self.indexes = self.indexes, []
        foreign_keys, self.foreign_keys = self.foreign_keys, []
        # The indexes first and on their own: a foreign key that finds a broken row must not
        # take them down with it.
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            for table, constraint, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(constraint)} {definition}")

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
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    segments = ensure_segments()
    flows = ensure_processes()
    generator = DataGenerator(
        seed=seed,
        staff=staff,
        segments=segments,
        today=today,
        tz=tz,
        ids=Ids(using),
        flows=flows,
        campaign=ensure_campaign(flows, staff=staff, today=today, tz=tz),
    )
    first_customer = generator.ids.first[CUSTOMERS]
    writer = writer_for(connection)
    totals = dict.fromkeys((table.model._meta.label for table in TABLES), 0)
    spans = [
        range(first, min(first + batch_size, customers))
        for first in range(0, customers, batch_size)
    ]
    started = time.perf_counter()
    writer.prepare(TABLES)
    try:
        _write_batches(generator, writer, spans, totals, started, progress, using)
    finally:
        writer.restore()
    writer.finish(TABLES)
    if customers:
        add_worklist(first_customer=first_customer, today=today)
    return totals


def _write_batches(generator, writer, spans, totals, started, progress, using):
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


def add_worklist(*, first_customer, today):
    """A few tasks (some overdue) and a discount waiting for a manager, on the run's first
    customers, through the services: they are few, and the services notify who they concern."""
    User = get_user_model()
    customers = list(
        Customer.objects.filter(pk__gte=first_customer, status=Customer.Status.ACTIVE)
        .select_related("owner")
        .order_by("pk")[:6]
    )
    for index, customer in enumerate(customers):
        process_services.task_create(
            customer=customer,
            title=TASK_TITLES[index % len(TASK_TITLES)],
            assignee=customer.owner,
            due_on=today + timedelta(days=index * 3 - 7),
            by=customer.owner,
        )
    deal = (
        ProcessInstance.objects.open()
        .filter(
            customer_id__gte=first_customer,
            definition__kind=ProcessDefinition.Kind.SALES,
            owner__groups__name=SALES,
            amount__isnull=False,
        )
        .exclude(approvals__decision="pending")
        .select_related("definition")
        .order_by("pk")
        .first()
    )
    if deal is not None:
        process_services.opportunity_set_discount(
            instance=deal,
            percent=settings.PROCESS_DISCOUNT_APPROVAL_THRESHOLD + 5,
            reason="Multi-year commitment; the competitor offers the same price.",
            by=User.objects.get(pk=deal.owner_id),
        )


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
