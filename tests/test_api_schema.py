"""Schemathesis against the published OpenAPI, on a real `frontdesk serve`, on each database.

Every operation gets generated requests, valid and invalid (schemathesis' positive and negative modes), sent
with an admin API key of a test workspace; every response goes through all of schemathesis' checks: no 5xx,
a status the document declares, its content type, headers and schema. ``MAX_EXAMPLES`` bounds the time
(about a minute per database). The totals are written to ``test-artifacts/schemathesis-<database>.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from tests.conftest import Database
from tests.factories import WorkspaceHandle
from tests.live_server import LiveServer

MAX_EXAMPLES = 20
# Every check but one. ``positive_data_acceptance`` expects any body that fits the JSON Schema to be stored,
# but the API also checks what a JSON Schema cannot say: e-mail addresses and phone numbers that exist,
# one of buyer_id or buyer_email, a segment rule's grammar, a review of a product the contact bought. Those
# are refused with a 422 naming the field, which is what this suite wants.
EXCLUDED_CHECKS = [checks.positive_data_acceptance]
# Invalid data must be refused with a 4xx; 413 (a body over the size limit) is one of them.
REJECTIONS = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]


@pytest.fixture
def api_schema(live_server: LiveServer, workspace: WorkspaceHandle) -> OpenApiSchema:
    # The key goes in the configuration, so schemathesis knows the header it sends (and may drop it to check
    # that an operation refuses a request without it).
    config = SchemathesisConfig.from_dict(
        {
            "headers": workspace.headers,
            "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", config=config)
    assert isinstance(schema, OpenApiSchema)
    return schema


@pytest.fixture
def tally(database: Database, artifacts_dir: Path) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    summary = {
        "database": database.backend,
        "operations": len([key for key in counts if key.startswith("operation ")]),
        "cases": counts["cases"],
        "server_errors": counts["server_errors"],
        "statuses": {key[len("status ") :]: n for key, n in sorted(counts.items()) if key.startswith("status ")},
    }
    (artifacts_dir / f"schemathesis-{database.backend}.json").write_text(json.dumps(summary, indent=2))
    print(f"\nschemathesis on {database.backend}: {summary}")


@pytest.fixture
async def spare_key_id(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> int:
    """A key for the generated revocations to revoke, so the key the suite sends stays valid."""
    response = await client.post("/api/v1/api-keys", json={"name": "to revoke"}, headers=workspace.headers)
    return int(response.json()["id"])


@pytest.fixture
async def site_key(workspace: WorkspaceHandle) -> str:
    """The workspace's real site key, so the public operations answer more than "unknown site key"."""
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        await session.commit()
        return settings.widget_token


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def test_api_conforms_to_its_openapi(
    api_schema: OpenApiSchema,
    workspace: WorkspaceHandle,
    spare_key_id: int,
    site_key: str,
    tally: Counter[str],
    http: requests.Session,
) -> None:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        tally[f"operation {operation.label}"] += 1
        fixed: dict[str, Any] | None = None
        if "{api_key_id}" in operation.path:
            fixed = {"api_key_id": spare_key_id}
        elif "{site_key}" in operation.path:
            fixed = {"site_key": site_key}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            def conforms(case: Any) -> None:
                tally["cases"] += 1
                response = case.call(session=http, timeout=30)
                tally[f"status {response.status_code}"] += 1
                if response.status_code >= 500:
                    tally["server_errors"] += 1
                case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)

            try:
                conforms()
            except Unsatisfiable:  # no invalid input exists: an operation with no parameters and no body
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; failures reported together
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)
