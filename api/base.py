"""The shared base of every resource: permission and record access as on the screens, ETag and
If-Match on single records, Idempotency-Key on creates. A resource declares its queryset, its
access helper, its serializers and the service calls; this module does the rest.

- List: `can(user, view_permission)` (403), then `Model.objects.visible_to(user)`, the app's
  FilterSet (the list screen's filters), ?ordering= among `ordering_fields`, cursor pages.
- One record: the app's access helper (`get_invoice_for_user` ...): invisible is a 404,
  visible but not the user's to change a 403. GET answers an `ETag`.
- A change to a record (PATCH, or an action such as ending a relationship): If-Match is
  required (428 without it), compared with the record's current ETag under a row lock held
  until the change is written: a stale one is a 412 and nothing is written.
- A create with `Idempotency-Key`: see `IdempotentCreateMixin`.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.response import Response

from core.db import replica
from core.permissions import can

from .models import ApiToken, IdempotencyKey
from .problems import IdempotencyKeyReused, PreconditionFailed, PreconditionRequired
from .services import idempotency_expiry

IDEMPOTENCY_KEY_MAX_LENGTH = 255
# The largest primary key (a bigint): a larger number names no record.
MAX_ID = 2**63 - 1

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=_("The ETag of the record as last read; a stale one gets 412, none 428."),
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        "Any unique string (a UUID): a retry with the same key and body gets the first "
        "answer again instead of creating a second record; another body with it gets 422."
    ),
)


def etag_of(data) -> str:
    """A strong ETag of a record's representation: it changes whenever what GET shows does."""
    encoded = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()
    return f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'


def _matches(header: str, etag: str) -> bool:
    candidates = [candidate.strip() for candidate in header.split(",")]
    return "*" in candidates or any(
        candidate.removeprefix("W/") == etag for candidate in candidates
    )


class FilterSetBackend(DjangoFilterBackend):
    """The list screen's FilterSet, without its own `ordering` (the API's ?ordering= is DRF's,
    which the cursor pagination follows)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            filterset.filters.pop("ordering", None)
            filterset.form.fields.pop("ordering", None)
        return filterset

    def get_schema_operation_parameters(self, view):
        return [
            parameter
            for parameter in super().get_schema_operation_parameters(view)
            if parameter["name"] != "ordering"
        ]


class Ordering(OrderingFilter):
    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        names = [*view.ordering_fields, *(f"-{name}" for name in view.ordering_fields)]
        for parameter in parameters:
            parameter["schema"] = {"type": "string", "enum": names}
        return parameters


class RecordIdMixin:
    """A record's id in the path that is not a whole number in the bigint range names no
    record: 404, before any query."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        pk = self.kwargs.get("pk")
        if pk is not None:
            if not (pk.isascii() and pk.isdigit()) or not 0 < int(pk) <= MAX_ID:
                raise exceptions.NotFound
            self.kwargs["pk"] = int(pk)


class RecordIdFilter(BaseFilterBackend):
    """`?customer=<id>` (and `?invoice=<id>` where the view names it in `id_filters`): the
    records of one customer, for the lists that have no FilterSet of their own."""

    def filter_queryset(self, request, queryset, view):
        for name in getattr(view, "id_filters", ()):
            value = request.query_params.get(name, "")
            if value:
                if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
                    raise exceptions.ValidationError({name: [_("Give a record's id.")]})
                queryset = queryset.filter(**{f"{name}_id": int(value)})
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": str(_("Only the records of this one (its id).")),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            }
            for name in getattr(view, "id_filters", ())
        ]


class ReplicaListMixin:
    """The list action reads from the read replica where one may serve it (core.db.replica):
    not for a client that has just written, which reads its writes from the primary."""

    def list(self, request, *args, **kwargs):
        with replica.reads():
            return super().list(request, *args, **kwargs)


class ResourceViewSet(
    ReplicaListMixin, RecordIdMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """A read resource: list and retrieve, through the app's access rules."""

    view_permission = None  # the role permission of the list (core.permissions)
    filterset_class = None
    ordering_fields = ()
    id_filters = ()  # e.g. ("customer",): see RecordIdFilter
    filter_backends = [FilterSetBackend, RecordIdFilter, Ordering]
    # What the server computes on its own (a customer's value, rescored in the background): not
    # part of the ETag, so a rescore does not make the If-Match of every client stale.
    etag_ignores = ()

    def base_queryset(self):
        """The records, with what their representation reads (select/prefetch_related)."""
        raise NotImplementedError

    def lookup(self, pk, *, write=False):
        """The record through the app's access helper (404 invisible, 403 not the user's)."""
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.base_queryset().none()
        if not can(self.request.user, self.view_permission):
            raise exceptions.PermissionDenied
        return self.base_queryset().visible_to(self.request.user)

    def get_object(self):
        return self.lookup(self.kwargs["pk"])

    def require(self, permission):
        """403 unless the user holds the role `permission` (asked before the body is read)."""
        if not can(self.request.user, permission):
            raise exceptions.PermissionDenied

    def represent(self, obj):
        return self.get_serializer_class()(obj, context=self.get_serializer_context()).data

    def etag(self, data) -> str:
        return etag_of({key: value for key, value in data.items() if key not in self.etag_ignores})

    def object_response(self, obj, *, status_code=status.HTTP_200_OK, headers=None):
        data = self.represent(obj)
        response = Response(data, status=status_code, headers=headers)
        response["ETag"] = self.etag(data)
        if status_code == status.HTTP_201_CREATED:
            # Where the new record is read (and later changed, with this ETag as If-Match).
            response["Location"] = self.reverse_action("detail", args=[obj.pk])
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.object_response(self.get_object())

    def read_input(self, *, instance=None, partial=False, serializer_class=None):
        serializer_class = serializer_class or self.input_serializer_class
        serializer = serializer_class(
            instance, data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def locked(self, pk, **lookup):
        """The record under a row lock until the transaction ends, then looked up through the
        access helper (`lookup`: its arguments, write=True unless told); If-Match is checked
        against it (412 stale, 428 missing), after the access rules (404, 403)."""
        model = self.base_queryset().model
        list(model.objects.select_for_update().filter(pk=pk).values_list("pk"))
        obj = self.lookup(pk, **{"write": True, **lookup})
        header = self.request.headers.get("If-Match")
        if not header:
            raise PreconditionRequired
        if not _matches(header, self.etag(self.represent(obj))):
            raise PreconditionFailed
        return obj

    def change(self, pk, apply, **lookup):
        """Run `apply(obj)` (a service call returning the changed record) on the locked record
        whose If-Match holds; answer the record as it is now."""
        with transaction.atomic():
            obj = apply(self.locked(pk, **lookup))
        return self.object_response(self.lookup(obj.pk))


class IdempotentCreateMixin:
    """POST with `Idempotency-Key: <key>`: the first request's answer is stored with its key (per
    token, or per user for a browser session) and a fingerprint of the request; a retry with
    the same key and request gets that answer again (header `Idempotent-Replayed: true`)
    without creating anything, the same key with another request a 422. Two simultaneous
    requests with one key: the unique constraint makes the second wait until the first has
    committed, then replay its answer, so nothing is booked twice. A create that failed
    stores nothing: retrying it runs it again. Keys expire after API_IDEMPOTENCY_KEY_HOURS."""

    create_permission = None  # the role permission of creating one (core.permissions)

    def create(self, request, *args, **kwargs):
        # The role first, as the screens ask it: a user who may not create gets a 403 whatever
        # the body holds.
        self.require(self.create_permission)
        key = request.headers.get("Idempotency-Key")
        if key is None:
            with transaction.atomic():
                return self.perform_create_response()
        key = key.strip()
        if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        _("Send a key of 1 to %(limit)s characters.")
                        % {"limit": IDEMPOTENCY_KEY_MAX_LENGTH}
                    ]
                }
            )
        principal = (
            f"token:{request.auth.pk}"
            if isinstance(request.auth, ApiToken)
            else f"user:{request.user.pk}"
        )
        body = dict(request.data.lists()) if hasattr(request.data, "lists") else request.data
        fingerprint = hashlib.sha256(
            json.dumps(
                [request.method, request.path, body], sort_keys=True, cls=DjangoJSONEncoder
            ).encode()
        ).hexdigest()
        with transaction.atomic():
            record, stored = self._claim(principal, key, fingerprint)
            if stored is not None:
                # Exactly the first answer: its status, body, ETag and Location.
                headers = {"Idempotent-Replayed": "true"}
                if stored.etag:
                    headers["ETag"] = stored.etag
                if stored.location:
                    headers["Location"] = stored.location
                return Response(
                    json.loads(stored.response_body), status=stored.status_code, headers=headers
                )
            response = self.perform_create_response()
            record.status_code = response.status_code
            record.response_body = json.dumps(response.data, cls=DjangoJSONEncoder)
            record.etag = response.get("ETag", "")
            record.location = response.get("Location", "")
            record.save(update_fields=["status_code", "response_body", "etag", "location"])
        return response

    def _claim(self, principal, key, fingerprint):
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        principal=principal,
                        key=key,
                        fingerprint=fingerprint,
                        expires_at=idempotency_expiry(),
                    )
                return record, None
            except IntegrityError:
                stored = IdempotencyKey.objects.get(principal=principal, key=key)
                if stored.expires_at <= timezone.now():
                    stored.delete()  # expired, not yet purged: the key is free again
                    continue
                if stored.fingerprint != fingerprint:
                    raise IdempotencyKeyReused from None
                return None, stored
        raise IdempotencyKeyReused

    def perform_create_response(self):
        obj = self.perform_create()
        return self.object_response(
            self.lookup(obj.pk), status_code=status.HTTP_201_CREATED, headers=None
        )
