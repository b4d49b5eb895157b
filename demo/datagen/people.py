"""Who a customer is: name, tax id, address, e-mail and phone; its contact persons and
segments."""

from datetime import timedelta

from core.i18n import language_for_country
from customers.models import Customer

from .drafts import WORKDAY_END, WORKDAY_START
from .identifiers import TAX_ID, ascii_slug, phone_body
from .locales import GB, PL
from .tables import CONTACTS, CUSTOMER_SEGMENTS
from .values import weighted

# Letters used in the inward part of British postcodes.
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
SOURCE_DRAW = weighted(
    (
        (Customer.Source.MAILING, 15),
        (Customer.Source.WEB_FORM, 25),
        (Customer.Source.REFERRAL, 20),
        (Customer.Source.EVENT, 10),
        (Customer.Source.INBOUND_CALL, 20),
        (Customer.Source.OTHER, 10),
    )
)
# Contact persons per organisation: 0-4, most have two or three.
ORG_CONTACTS_DRAW = weighted(((0, 5), (1, 10), (2, 25), (3, 30), (4, 30)))


class PeopleRows:
    """The customer row's identity columns, contact persons and segment memberships.

    A part of DataGenerator (generator.py), which holds the state these methods read: `rng`,
    `ids` and `segments`."""

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

    def contacts(self, draft, batch):
        rng, locale = self.rng, draft.locale
        if draft.person is not None:
            # A person's contact is usually themselves, when they gave us a way to reach them.
            count = 1 if rng.random() < 0.35 else 0
        else:
            count = rng.choice(ORG_CONTACTS_DRAW)
        has_primary = count and rng.random() < 0.85
        # As the contact form defaults it: the language of the customer's country.
        language = language_for_country(locale.country)
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
                    language,
                    primary,
                    consent,
                    consent_at,
                    primary or rng.random() < 0.9,
                    added_at,
                )
            )
            draft.contacts.append((contact_id, day))

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
