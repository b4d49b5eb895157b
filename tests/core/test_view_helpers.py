"""What every app's views share: a service called from a form, and going back after an action."""

import pytest
from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.views.helpers import redirect_back, run_action, run_service


class AmountForm(forms.Form):
    amount = forms.DecimalField()
    note = forms.CharField(required=False)


def _valid_form():
    form = AmountForm({"amount": "10", "note": "first"})
    assert form.is_valid()
    return form


def _refusing(error):
    def service(**kwargs):
        raise error

    return service


def test_a_service_that_goes_through_answers_true_with_what_it_returned():
    calls = []

    def service(*, amount, by):
        calls.append((amount, by))
        return f"invoice for {amount}"

    form = _valid_form()
    call = run_service(form, service, amount=form.cleaned_data["amount"], by="sally")
    assert call
    assert call.result == "invoice for 10"
    assert calls == [(form.cleaned_data["amount"], "sally")]
    assert not form.errors


def test_a_service_that_returns_nothing_has_still_gone_through():
    call = run_service(_valid_form(), lambda **kwargs: None)
    assert call
    assert call.result is None


def test_a_refused_field_has_its_error_beside_the_field():
    form = _valid_form()
    error = ValidationError({"amount": ValidationError("Too much.", code="too_much")})
    call = run_service(form, _refusing(error))
    assert not call
    assert call.result is None
    assert form.errors == {"amount": ["Too much."]}
    assert form.has_error("amount", code="too_much")
    assert not form.non_field_errors()


def test_an_error_about_no_field_stands_on_top_of_the_form():
    form = _valid_form()
    call = run_service(form, _refusing(ValidationError("The contract has ended.")))
    assert not call
    assert form.non_field_errors() == ["The contract has ended."]
    assert "amount" not in form.errors


def test_errors_about_fields_the_form_lacks_stand_on_top_and_the_others_beside_their_field():
    form = _valid_form()
    error = ValidationError(
        {
            "note": ["Say why."],
            "number": ["Contract number taken."],  # a model field the form does not show
            NON_FIELD_ERRORS: ["The customer has left."],
        }
    )
    assert not run_service(form, _refusing(error))
    assert form.errors["note"] == ["Say why."]
    assert sorted(form.non_field_errors()) == ["Contract number taken.", "The customer has left."]
    # A field the form shows loses its cleaned value, as form.add_error() always does.
    assert "note" not in form.cleaned_data


def test_other_exceptions_are_not_taken_for_a_refusal():
    def broken(**kwargs):
        raise RuntimeError("bug")

    form = _valid_form()
    with pytest.raises(RuntimeError):
        run_service(form, broken)
    assert not form.errors


def test_the_service_and_form_are_positional_so_any_keyword_reaches_the_service():
    def service(*, form, service):
        return (form, service)

    call = run_service(_valid_form(), service, form="f", service="s")
    assert call.result == ("f", "s")


@pytest.mark.parametrize(
    "target",
    ["1e-30", "customers:list", "//evil.example/", "https://evil.example/", "javascript:alert(1)"],
)
def test_going_back_ignores_a_next_that_is_not_a_path_of_ours(rf, target):
    response = redirect_back(rf.post("/tasks/1/done/", {"next": target}), "/tasks/")
    assert response.url == "/tasks/"


def test_going_back_returns_to_the_page_the_action_was_taken_from(rf):
    response = redirect_back(rf.post("/tasks/1/done/", {"next": "/tasks/?page=2"}), "/tasks/")
    assert response.url == "/tasks/?page=2"


def _request_with_messages(rf):
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = rf.post("/payouts/1/approve/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_a_refused_action_says_why_in_one_error_message(rf):
    request = _request_with_messages(rf)

    def refuse(**kwargs):
        raise ValidationError(["Already approved.", "Over the limit."])

    call = run_action(request, refuse, payout=1)

    assert not call
    assert [(m.level, m.message) for m in request._messages] == [
        (messages.ERROR, "Already approved. Over the limit.")
    ]


def test_an_action_that_goes_through_answers_true_with_its_result_and_no_message(rf):
    request = _request_with_messages(rf)

    call = run_action(request, lambda **kwargs: kwargs["payout"] * 2, payout=21)

    assert call and call.result == 42
    assert list(request._messages) == []
