"""Admin pieces every app's admin shares."""

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponseRedirect

from .integrity import rule_error, violated_rule


class UniqueRaceAdminMixin:
    """Two admins saving the same unique value at once: the loser sees the usual form error.

    The admin's form checks unique rules before saving, but another save can commit in between
    and the database refuses the second one. `changeform_view` runs in a transaction, so the
    refused save (the object, its inlines and its log entry) is rolled back whole; the form is
    then simply posted again, and this time its validation sees the winner's row and puts the
    error beside the field. Should the database refuse it again (a rule the form does not
    check), the error is shown as a message on the unchanged object instead of a 500.
    """

    def _race_models(self):
        return [self.model, *(inline.model for inline in self.inlines)]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            if request.method != "POST" or violated_rule(error, *self._race_models()) is None:
                raise
        # The winner's row is committed now: this time the form's own validation sees it.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            rule = violated_rule(error, *self._race_models())
            if rule is None:
                raise
            for message in rule_error(rule.model(), rule).messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
