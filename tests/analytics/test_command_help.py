"""Every management command explains itself: `--help` prints its (translated) description."""

import pytest
from django.core.management import get_commands, load_command_class

COMMANDS = sorted(name for name, app in get_commands().items() if app == "analytics")


def test_the_project_has_its_commands():
    expected = {"rollup_process_kpis", "rollup_usage", "score_customers", "snapshot_forecast"}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_prints_the_description(name, capsys):
    command = load_command_class("analytics", name)
    parser = command.create_parser("manage.py", name)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert f"manage.py {name}" in out
    assert str(command.help).split()[0] in out
