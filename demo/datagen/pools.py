"""Names and streets drawn from Faker, the one module that needs it.

Faker is not a runtime dependency of the CRM: the `demo` extra installs it (`pip install -e
".[demo]"`, which `make install` does), and production installs leave it out. So Faker is
imported when a run starts, never when the app loads.
"""

import functools

from .identifiers import ascii_slug
from .locales import Locale
from .values import weighted

# Distinct names and streets drawn from Faker per locale; Faker is too slow to call per row.
POOL_SIZE = 2000


class FakerMissing(ImportError):
    """The generator was asked to run where Faker is not installed (the `demo` extra)."""


def require_faker():
    """Faker's generator class, or FakerMissing saying how to install it."""
    try:
        from faker import Faker
    except ImportError as error:
        raise FakerMissing(
            'The data generator needs Faker: install the demo extra, pip install -e ".[demo]".'
        ) from error
    return Faker


class Pools:
    """Names and streets of one locale, drawn from Faker once per run."""

    def __init__(self, locale: Locale, seed: int):
        fake = require_faker()(locale.code)
        fake.seed_instance(seed)
        self.male = self._people(fake.first_name_male, fake.last_name_male)
        self.female = self._people(fake.first_name_female, fake.last_name_female)
        self.streets = tuple(sorted({fake.street_name() for _ in range(POOL_SIZE)}))
        self.cities = weighted(((name, postal), weight) for name, postal, weight in locale.cities)
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
