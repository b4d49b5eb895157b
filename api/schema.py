"""What drf-spectacular adds to the generated schema: the problem responses every operation may
answer, and the two ways to authenticate."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .problems import PROBLEM_CONTENT_TYPE, TITLES

TEXT = {"type": "string"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": _("An RFC 9457 problem: what went wrong, with messages per field in `errors`."),
    "properties": {
        "type": {**TEXT, "description": _("Identifies the kind of problem.")},
        "title": {**TEXT, "description": _("A short summary of the kind of problem.")},
        "status": {"type": "integer"},
        "detail": TEXT,
        "instance": TEXT,
        "errors": {
            "type": "object",
            "description": _("Messages per field; `non_field_errors` for the record as a whole."),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "instance"],
}

# A list's filters may be invalid too (400).
SAFE_STATUSES = (400, 401, 403, 404, 405, 406, 429, 500)
UNSAFE_STATUSES = (409, 412, 415, 422, 428)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("A personal API token (user menu → API tokens).")),
        }


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: every operation documents the problems it may answer."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            statuses = (
                SAFE_STATUSES if method in ("get", "head") else SAFE_STATUSES + UNSAFE_STATUSES
            )
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(
                    str(status),
                    {
                        "description": str(TITLES[status]),
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                    },
                )
            if "201" in responses:
                # A create names the new record and gives its ETag; so does a replay of it.
                responses["201"].setdefault("headers", {}).update(
                    {
                        "Location": {
                            "schema": {**TEXT, "format": "uri"},
                            "required": True,
                            "description": _("The new record's address, where it is read."),
                        },
                        "ETag": {
                            "schema": TEXT,
                            "required": True,
                            "description": _("The new record's ETag, for a change's If-Match."),
                        },
                    }
                )
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": _("Seconds to wait before the next request."),
            }
    return result
