"""Recovery codes stored as keyed digests (core.mfa.recovery_digest) instead of in clear.

Codes issued before are django-otp's 8 base32 characters; each becomes its digest, so the codes
users wrote down keep working. The digest is written out here rather than imported, so this
migration keeps doing what it did whatever core.mfa becomes."""

from django.conf import settings
from django.db import migrations
from django.utils.crypto import salted_hmac

DIGEST_LENGTH = 16


def _digest(code):
    code = "".join(code.split()).lower()
    return salted_hmac(
        "crm.mfa.recovery-code", code, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()[:DIGEST_LENGTH]


def digest_the_codes(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.exclude(token__regex=r"^[0-9a-f]{16}$").iterator():
        token.token = _digest(token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_exportjob"),
        ("otp_static", "0003_add_timestamps"),
    ]

    # No way back: a digest cannot give its code again.
    operations = [migrations.RunPython(digest_the_codes, migrations.RunPython.noop, elidable=False)]
