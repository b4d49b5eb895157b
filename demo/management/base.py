from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from demo import datagen


def require_generator():
    """Stop a command before it writes anything when Faker, which only the generator needs, is
    not installed: production installs leave out the `demo` extra that brings it."""
    try:
        datagen.require_faker()
    except datagen.FakerMissing as error:
        raise CommandError(
            _(
                "The data generator needs Faker, which is not installed here. Install the demo "
                'extra: pip install -e ".[demo]" (make install does).'
            )
        ) from error
