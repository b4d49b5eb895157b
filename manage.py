#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
    # The audit names the command behind writes made outside a request or task (core.audit).
    os.environ.setdefault("CRM_AUDIT_SOURCE", f"command: {' '.join(sys.argv[1:2]) or 'manage.py'}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
