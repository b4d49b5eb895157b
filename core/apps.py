from django.apps import AppConfig
from django.core import checks
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import (
            fastpath,  # noqa: F401  (registers its system check, core.E002)
            i18n,  # noqa: F401  (registers the user_logged_in receiver)
            signals,  # noqa: F401  (stamps every new session, core.sessions)
        )
        from .db import (
            loaders,  # noqa: F401  (registers the connection_created receiver)
            replica,  # (registers its got_request_exception receiver)
        )
        from .permissions import check_declared_permissions_are_not_model_permissions

        # Each app declares its permissions in its own permissions.py; reading them all here
        # means a codename asked for by a template or has_perm() is known before any view runs.
        autodiscover_modules("permissions")
        from .visibility import check_visibility_setting

        checks.register(check_declared_permissions_are_not_model_permissions, checks.Tags.security)
        checks.register(check_visibility_setting, checks.Tags.security)
        checks.register(replica.check_replica_settings, checks.Tags.database)
        self._connect_audit()

    def _connect_audit(self):
        from celery.signals import task_postrun, task_prerun
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from .audit import context, postgres, security

        # The triggers follow the models: reinstalled after every migrate, from the registry.
        post_migrate.connect(_install_audit_triggers, sender=self)
        connection_created.connect(postgres.add_wrapper, dispatch_uid="crm_audit_wrapper")
        security.connect()
        task_prerun.connect(context.task_started, dispatch_uid="crm_audit_task_started")
        task_postrun.connect(context.task_finished, dispatch_uid="crm_audit_task_finished")


def _install_audit_triggers(sender, using="default", **kwargs):
    from .audit import postgres

    postgres.install_triggers(using)
