"""Faker comes with the `demo` extra, which production installs leave out: the app loads and
passes its checks without it, and the data commands stop, writing nothing, with a message that
says how to install it."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer, Segment
from demo import datagen

ROOT = Path(__file__).resolve().parent.parent.parent
INSTALL_HINT = r'pip install -e "\.\[demo\]"'

# manage.py in an interpreter where `import faker` fails, as if Faker were not installed.
MANAGE_WITHOUT_FAKER = """
import runpy
import sys


class NoFaker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "faker":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoFaker())
sys.argv = ["manage.py", *sys.argv[1:]]
runpy.run_path("manage.py", run_name="__main__")
"""


@pytest.fixture
def without_faker(monkeypatch):
    """`import faker` fails from here on, as it does where the extra is not installed."""
    monkeypatch.setitem(sys.modules, "faker", None)


def manage_without_faker(*args):
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(
        DJANGO_SETTINGS_MODULE="crm.settings.base",
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="crm.example.com",
    )
    return subprocess.run(
        [sys.executable, "-c", MANAGE_WITHOUT_FAKER, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_production_app_passes_its_checks_without_faker():
    result = manage_without_faker("check", "--deploy", "--fail-level", "CRITICAL")

    assert result.returncode == 0, result.stderr


def test_generate_data_without_faker_exits_with_how_to_install_it():
    result = manage_without_faker("generate_data", "--customers=5")

    assert result.returncode == 1
    assert "CommandError: The data generator needs Faker" in result.stderr
    assert 'pip install -e ".[demo]"' in result.stderr


@pytest.mark.django_db
def test_generate_data_without_faker_writes_nothing(without_faker):
    users, segments = get_user_model().objects.count(), Segment.objects.count()

    with pytest.raises(CommandError, match=INSTALL_HINT):
        call_command("generate_data", "--customers=5", stdout=StringIO())

    assert not Customer.objects.exists()
    assert get_user_model().objects.count() == users
    assert Segment.objects.count() == segments


@pytest.mark.django_db
def test_load_demo_without_faker_creates_no_demo_users(without_faker, settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match=INSTALL_HINT):
        call_command("load_demo", stdout=StringIO())

    assert not get_user_model().objects.filter(username__in=["sales", "admin"]).exists()


@pytest.mark.django_db
def test_the_generator_itself_refuses_before_writing(without_faker):
    # Even with the pools of this seed already drawn in this process.
    with pytest.raises(datagen.FakerMissing):
        datagen.generate(customers=5)

    assert not Customer.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="gen_").exists()
