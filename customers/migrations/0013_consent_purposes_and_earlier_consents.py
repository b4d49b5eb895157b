"""Seeds the consent purposes and moves the single marketing checkbox into the history.

Each contact person who had `marketing_consent` gets one "given" event for the default purpose
("Marketing"), dated when the checkbox was ticked, source "recorded before the consent
history" (nobody recorded who ticked it), and the matching current state. People without the
checkbox get nothing: no consent was ever recorded for them, which is not a withdrawal.
"""

from django.db import migrations

WORDING = "I agree to receive {what} from us by e-mail or phone. I can withdraw at any time."

PURPOSES = [
    ("marketing", "Marketing", "marketing messages", True, 0),
    ("newsletter", "Newsletter", "the newsletter", False, 1),
    ("product_offers", "Product offers", "offers of our products and services", False, 2),
    ("events", "Events", "invitations to events and webinars", False, 3),
]
BATCH = 2000


def seed_and_convert(apps, schema_editor):
    ConsentPurpose = apps.get_model("customers", "ConsentPurpose")
    ConsentEvent = apps.get_model("customers", "ConsentEvent")
    ConsentState = apps.get_model("customers", "ConsentState")
    ContactPerson = apps.get_model("customers", "ContactPerson")
    default = None
    for code, name, what, is_default, position in PURPOSES:
        purpose, _ = ConsentPurpose.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "wording": WORDING.format(what=what),
                "is_default": is_default,
                "position": position,
            },
        )
        if is_default:
            default = purpose
    consenting = (
        ContactPerson.objects.filter(marketing_consent=True)
        .order_by("pk")
        .values_list("pk", "marketing_consent_at")
    )
    batch = []
    for pk, at in consenting.iterator(chunk_size=BATCH):
        batch.append((pk, at))
        if len(batch) == BATCH:
            _convert(ConsentEvent, ConsentState, default, batch)
            batch = []
    if batch:
        _convert(ConsentEvent, ConsentState, default, batch)


def _convert(ConsentEvent, ConsentState, purpose, batch):
    events = ConsentEvent.objects.bulk_create(
        ConsentEvent(
            contact_id=pk, purpose=purpose, given=True, at=at, source="earlier", wording=""
        )
        for pk, at in batch
    )
    if events and events[0].pk is None:  # a backend that does not return keys
        events = list(
            ConsentEvent.objects.filter(
                purpose=purpose, source="earlier", contact_id__in=[pk for pk, _ in batch]
            )
        )
    ConsentState.objects.bulk_create(
        ConsentState(
            contact_id=event.contact_id,
            purpose=purpose,
            given=True,
            since=event.at,
            event=event,
        )
        for event in events
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0012_consent_per_purpose_and_erasure")]

    operations = [migrations.RunPython(seed_and_convert, migrations.RunPython.noop)]
