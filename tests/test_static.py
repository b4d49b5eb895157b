"""Production serves static files through whitenoise's manifest storage: collectstatic must
succeed on the repository's own files (a vendored file that points at a missing source map, for
one, makes it fail and every page that links the file answer 500)."""

from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings


def test_collectstatic_with_the_production_storage_succeeds(tmp_path, settings):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        chart = static("vendor/chartjs/chart.umd.min.js")
    assert chart.startswith("/static/vendor/chartjs/chart.umd.min.") and chart.endswith(".js")
    assert (tmp_path / "staticfiles.json").exists()
