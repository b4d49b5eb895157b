from django.core.management.base import BaseCommand


class TranslatedCommand(BaseCommand):
    """A command whose `help` is a lazy translation: argparse wants a string, so it is made
    one when the parser is built (after the translations are ready)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
