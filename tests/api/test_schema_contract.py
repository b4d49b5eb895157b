"""schemathesis against the live schema: every operation, with a read-write and a read-only
token, must answer no server error and nothing the schema does not describe (status codes,
content types, bodies, headers). Bounded: a fixed seed and a few examples per operation."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from api.models import ApiToken
from api.services import token_create
from processes.services import instance_open, task_create
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PayoutFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# The whole report of each run, for reading a failure (the assertion shows its end).
REPORTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
EXAMPLES = 8


def _world(user):
    """One record of each kind, so that the generated ids sometimes hit one."""
    customer = CustomerFactory(owner=user)
    customer.segments.add(SegmentFactory())
    ContactPersonFactory(customer=customer)
    InteractionFactory(customer=customer)
    ContractFactory(customer=customer)
    InvoiceFactory(customer=customer)
    PayoutFactory(customer=customer, requested_by=user)
    AssetFactory(customer=customer)
    ProcessDefinitionFactory(kind="support")
    instance = instance_open(
        definition=ProcessDefinitionFactory(kind="sales"),
        customer=customer,
        title="Deal",
        by=user,
    )
    task_create(
        customer=customer,
        instance=instance,
        title="Call",
        assignee=user,
        due_on=timezone.localdate(),
        by=user,
    )


@pytest.mark.contract
@pytest.mark.parametrize("access", [ApiToken.Access.WRITE, ApiToken.Access.READ])
def test_the_live_api_keeps_to_its_schema(live_server, manager, settings, access, tmp_path):
    settings.API_RATE_LIMIT = "100000/minute"
    _world(manager)
    _token, secret = token_create(user=manager, name="schemathesis", access=access)
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Bearer {secret}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "20",
            "--no-shrink",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # its cache, not in the checkout
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{access}.txt").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
