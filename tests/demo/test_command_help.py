"""The data commands explain themselves: `--help` prints their (translated) description."""

import pytest
from django.core.management import get_commands, load_command_class

COMMANDS = sorted(name for name, app in get_commands().items() if app == "demo")


def test_the_data_commands_live_in_the_demo_app():
    assert COMMANDS == ["generate_data", "load_demo"]


@pytest.mark.parametrize("name", COMMANDS)
def test_help_prints_the_description(name, capsys):
    command = load_command_class("demo", name)
    parser = command.create_parser("manage.py", name)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert f"manage.py {name}" in out
    assert str(command.help).split()[0] in out
