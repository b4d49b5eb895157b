from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import scoring
from core import audit
from core.i18n import LANGUAGE_NAMES, profile_language
from core.management.base import TranslatedCommand
from core.models import UserProfile
from core.permissions import ALL_ROLES, FINANCE, MANAGER, ROLE_LABELS, SALES, SERVICE
from customers import services as customer_services
from customers.models import ConsentEvent, ConsentPurpose, ContactPerson, Customer
from demo import datagen
from demo.datagen.steering import seed_steering
from demo.mail_inbox import seed_mail_inbox
from demo.mail_templates import seed_mail_templates
from demo.management.base import require_generator
from processes import services as process_services
from relationships import services as relationship_services
from relationships.models import Interaction, Relationship

DEMO_PASSWORD = "demo"
DEMO_CUSTOMERS = 300
DEMO_SEED = 1
DEMO_EDITS = 4  # customers edited by the demo users, the last one's relationship ended
ADMIN_USERNAME = "admin"
DEMO_URL = "http://127.0.0.1:8000/"
# The demo users' e-mail domain (reserved for examples, RFC 2606): with an address, warnings
# and digests are sent to them (to the console with `make run`'s EMAIL_URL).
DEMO_EMAIL_DOMAIN = "example.com"
# The team works in several languages, as the demo customers (Polish, Czech, British) are
# served: each demo user's interface and e-mails are in their language from the first log-in.
# The administrator has none, so their pages follow the browser. Set on the first run only: a
# language a demo user chose since is kept.
DEMO_LANGUAGES = {SALES: "pl", SERVICE: "cs", FINANCE: "ru", MANAGER: "en", ADMIN_USERNAME: ""}


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Create the demo users (one per role, and admin; password “demo”) and, if there are "
        "no customers yet, demo customers owned by them. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=DEMO_CUSTOMERS,
            help=gettext_lazy("How many demo customers to add to an empty database (default 300)."),
        )

    def handle(self, *args, customers, **options):
        # Well-known passwords on well-known usernames must never reach a production database.
        if not settings.DEBUG:
            raise CommandError(
                _("load_demo gives well-known users the password “demo”; it needs DEBUG=true.")
            )
        require_generator()
        with transaction.atomic():
            staff = [self._user(role, role=role) for role in ALL_ROLES]
            self._user(ADMIN_USERNAME, superuser=True)
            teams = datagen.ensure_teams(staff)
            # A switched-off shared mailbox with messages waiting in triage (demo.mail_inbox).
            seed_mail_inbox()
            self._demo_mailing_templates()
            # The e-mail templates in every language (demo.mail_templates), once.
            seed_mail_templates()

        if Customer.objects.exists():
            self.stdout.write(_("There are customers already, so no demo customers were added."))
        else:
            # The demo users own and work on the customers, so each login shows a populated CRM.
            totals = datagen.generate(
                customers=customers, seed=DEMO_SEED, staff=datagen.Staff.from_users(staff)
            )
            self.stdout.write(
                _("Added %(customers)d demo customers with %(interactions)d interactions.")
                % {
                    "customers": totals[Customer._meta.label],
                    "interactions": totals[Interaction._meta.label],
                }
            )
            # The watch job's first run, so late and stalled work shows as notifications. Only
            # after generating: a second load_demo adds nothing.
            self._demo_changes(staff)
            sent = process_services.processes_watch()
            self.stdout.write(_("Sent %(sent)d notifications.") % {"sent": sent})
            # Grades and values on every card from the first page view, not the first night.
            run = scoring.score_all_customers()
            self.stdout.write(_("Scored %(scored)d customers.") % {"scored": run.scored})
            # Targets, rules and a forecast history, so the managers' pages are not empty.
            seeded = seed_steering(
                today=timezone.localdate(), by=next(u for u in staff if u.username == MANAGER)
            )
            self.stdout.write(
                _(
                    "Set %(targets)d KPI targets and %(rules)d decision rules; "
                    "wrote %(snapshots)d forecast snapshots."
                )
                % seeded
            )
        self._print_logins({user.username: teams.get(user.pk, []) for user in staff})

    def _demo_changes(self, staff):
        """A few edits made by the demo users themselves, through the services, so the audit
        and the customers' change history have something to show: the generator's bulk rows
        are nobody's doing and are not audited."""
        users = {user.username: user for user in staff}
        customers = list(Customer.objects.order_by("pk")[:DEMO_EDITS])
        if not customers:
            return
        with transaction.atomic():
            for customer in customers[:-1]:
                with audit.audit_context(user=users["sales"], source="load_demo"):
                    customer_services.customer_update(
                        customer=customer,
                        data={"notes": "Prefers e-mail; call only before noon."},
                    )
            self._demo_consents(users)
            relationship = Relationship.objects.open().filter(customer=customers[-1]).first()
            if relationship is not None:
                with audit.audit_context(user=users["manager"], source="load_demo"):
                    relationship_services.relationship_end(
                        relationship=relationship,
                        reason=Relationship.EndReason.MOVED_TO_COMPETITOR,
                        by=users["manager"],
                    )

    def _demo_consents(self, users):
        """Consents per purpose for a few contact persons, so their consent pages show a
        history: one given by phone, one by the person on a form, one given and withdrawn."""
        purposes = {purpose.code: purpose for purpose in ConsentPurpose.objects.all()}
        contacts = list(ContactPerson.objects.order_by("pk")[:3])
        plan = [
            ("newsletter", True, ConsentEvent.Source.PHONE, False),
            ("events", True, ConsentEvent.Source.FORM, True),
            ("product_offers", True, ConsentEvent.Source.EMAIL, False),
            ("product_offers", False, ConsentEvent.Source.UNSUBSCRIBE, True),
        ]
        for contact in contacts:
            for code, given, source, by_person in plan:
                if code in purposes:
                    customer_services.consent_record(
                        contact=contact,
                        purpose=purposes[code],
                        given=given,
                        source=source,
                        by_person=by_person,
                        by=None if by_person else users["sales"],
                    )

    def _demo_mailing_templates(self):
        """A mailing template in each language, so a mailing can be prepared at once."""
        from mail.models import MailTemplate

        texts = {
            "en": (
                "Our spring offer, {{ contact.first_name }}",
                "Dear {{ contact.name }},\n\nthis spring our service plans cost 10 % less "
                "for {{ customer.name }}. Reply to this e-mail and we will call you.",
            ),
            "pl": (
                "Nasza wiosenna oferta, {{ contact.first_name }}",
                "Szanowni Państwo,\n\nwiosną plany serwisowe dla {{ customer.name }} są "
                "tańsze o 10 %. Prosimy odpowiedzieć na tę wiadomość, oddzwonimy.",
            ),
            "cs": (
                "Naše jarní nabídka, {{ contact.first_name }}",
                "Vážení,\n\nna jaře jsou servisní plány pro {{ customer.name }} o 10 % "
                "levnější. Odpovězte na tento e-mail a zavoláme vám.",
            ),
            "ru": (
                "Наше весеннее предложение, {{ contact.first_name }}",
                "Здравствуйте, {{ contact.name }}!\n\nВесной сервисные планы для "  # noqa: RUF001
                "{{ customer.name }} дешевле на 10 %. Ответьте на это письмо, и мы перезвоним.",
            ),
        }
        for language, (subject, body) in texts.items():
            MailTemplate.objects.get_or_create(
                name="Spring offer",
                language=language,
                defaults={
                    "purpose": MailTemplate.Purpose.MAILING,
                    "subject": subject,
                    "body": body + "\n\n{{ sender.name }}\n",
                },
            )

    def _user(self, username, *, role=None, superuser=False):
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        if superuser:
            user.is_staff = user.is_superuser = True
        if not user.email:  # an address the user changed since is kept
            user.email = f"{username}@{DEMO_EMAIL_DOMAIN}"
        user.save()
        if role:
            # The groups come from a data migration, but a flushed test database lacks them.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        UserProfile.objects.get_or_create(
            user=user, defaults={"language": DEMO_LANGUAGES.get(username, "")}
        )
        if created:
            self.stdout.write(_("Created the demo user “%(username)s”.") % {"username": username})
        return user

    def _print_logins(self, teams):
        def language(username):
            chosen = profile_language(
                get_user_model().objects.select_related("crm_profile").get(username=username)
            )
            return LANGUAGE_NAMES.get(chosen, chosen) if chosen else _("the browser's language")

        rows = [
            (
                role,
                DEMO_PASSWORD,
                str(ROLE_LABELS[role]),
                language(role),
                ", ".join(teams.get(role, [])),
            )
            for role in ALL_ROLES
        ]
        rows.append(
            (
                ADMIN_USERNAME,
                DEMO_PASSWORD,
                _("Administrator (everything, and Django admin)"),
                language(ADMIN_USERNAME),
                "",
            )
        )
        header = (_("Username"), _("Password"), _("Role"), _("Language"), _("Teams"))
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]

        def line(cells):
            return "  " + "   ".join(
                cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
            )

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo logins")))
        self.stdout.write(line(header))
        self.stdout.write(line(["-" * width for width in widths]))
        for row in rows:
            self.stdout.write(line(row))
        self.stdout.write("")
        self.stdout.write(_("Open %(url)s and log in as one of them.") % {"url": DEMO_URL})
        self.stdout.write(
            _(
                "With CRM_VISIBILITY=team each sees their teams' customers and the unowned ones "
                "(managers and admin see all, finance every financial record)."
            )
        )
