"""The limits on one request: depth, aliases, tokens, batches and body size."""

from __future__ import annotations

import pytest

from api.limits import MAX_BODY_BYTES, MAX_IMPORT_BODY_BYTES
from tests.graphql import codes


def nested(depth: int) -> str:
    """A root field with `depth` levels of selections below it (the schema need not have them)."""
    return "{ " + " { ".join(["me"] + ["f"] * depth) + " }" * (depth + 1)


async def test_a_query_deeper_than_ten_is_too_complex(client, admin_token):
    body = await client(nested(11), token=admin_token)
    assert "QUERY_TOO_COMPLEX" in codes(body)
    assert any("depth of 10" in error["message"] for error in body["errors"])


async def test_a_query_ten_deep_is_not_refused_for_depth(client, admin_token):
    body = await client(nested(10), token=admin_token)
    assert "QUERY_TOO_COMPLEX" not in codes(body)
    assert codes(body)  # the made-up fields are still unknown


async def test_sixteen_aliases_are_too_complex(client, admin_token):
    query = "{ " + " ".join(f"a{n}: me {{ username }}" for n in range(16)) + " }"
    body = await client(query, token=admin_token)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body.get("data") is None


async def test_fifteen_aliases_are_allowed(client, admin_token):
    query = "{ " + " ".join(f"a{n}: me {{ username }}" for n in range(15)) + " }"
    data = await client.data(query, token=admin_token)
    assert len(data) == 15


async def test_a_document_over_two_thousand_tokens_is_too_complex(client, admin_token):
    query = "{ me { " + " ".join(["username"] * 2001) + " } }"
    body = await client(query, token=admin_token)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_a_batched_request_is_refused(client, admin_token):
    response = await client.http.post(
        "/graphql", json=[{"query": "{ me { username } }"}] * 2, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 400
    assert codes(response.json()) == ["VALIDATION_FAILED"]


async def test_a_malformed_body_is_a_clear_400(client, admin_token):
    response = await client.http.post(
        "/graphql",
        content=b'{"query": "{ me { username } }"',
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert codes(body) == ["VALIDATION_FAILED"]
    assert "JSON" in body["errors"][0]["message"]


async def test_a_body_over_one_mebibyte_is_refused(client, admin_token):
    padding = " " * (MAX_BODY_BYTES + 1)
    response = await client.post("{ me { username }" + padding + "}", token=admin_token)
    assert response.status_code == 413
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert "MiB" in response.json()["errors"][0]["message"]


async def test_a_large_body_may_carry_an_import(client, admin_token):
    document = {"format": "modelcatalog/v1", "padding": "x" * (MAX_BODY_BYTES * 2)}
    response = await client.post(
        "mutation($d: JSON!) { importModels(document: $d) { applied } }", {"d": document}, token=admin_token
    )
    assert response.status_code != 413


async def test_a_large_body_may_not_hide_another_field_beside_an_import(client, admin_token):
    response = await client.post(
        "mutation($d: JSON!) { importModels(document: $d) { applied } "
        'upsertProvider(input: {key: "x", kind: OPENAI}) { key } }',
        {"d": {"padding": "x" * (MAX_BODY_BYTES * 2)}},
        token=admin_token,
    )
    assert response.status_code == 413


async def test_a_declared_body_over_fifty_mebibytes_is_refused_unread(client, admin_token):
    response = await client.http.post(
        "/graphql",
        content=b"{}",
        headers={
            "Authorization": f"Bearer {admin_token}",
            "Content-Type": "application/json",
            "Content-Length": str(MAX_IMPORT_BODY_BYTES + 1),
        },
    )
    assert response.status_code == 413


async def test_a_syntax_error_is_a_validation_error(client, admin_token):
    body = await client("{ me { username }", token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_an_unknown_field_is_a_validation_error_with_a_suggestion_in_development(client, admin_token):
    body = await client("{ mee { username } }", token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert "Did you mean" in body["errors"][0]["message"]


async def test_an_unknown_operation_name_is_a_clear_400(client, admin_token):
    response = await client.post("query A { me { username } }", token=admin_token, operationName="B")
    assert response.status_code == 400
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert "B" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"input": "openai"}, "input"),
        ({"input": None}, "input"),
        ({}, "variables"),
        ({"input": {"key": 5, "kind": "OPENAI"}}, "key"),
        ({"input": {"key": "openai", "kind": "OPENAI", "enabled": "yes"}}, "enabled"),
        ({"input": {"key": "openai", "kind": "OPENAI", "colour": "blue"}}, "input"),
    ],
)
async def test_a_wrong_variable_is_a_validation_error_naming_the_field(client, admin_token, variables, field):
    query = "mutation($input: ProviderInput!) { upsertProvider(input: $input) { key } }"
    body = await client(query, variables, token=admin_token)
    assert codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == field
    assert "blue" not in body["errors"][0]["message"] and "yes" not in body["errors"][0]["message"]


async def test_a_mutation_over_get_is_refused(client, admin_token):
    response = await client.http.get(
        "/graphql",
        params={"query": 'mutation { upsertProvider(input: {key: "x", kind: OPENAI}) { key } }'},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 400
    assert codes(response.json()) == ["VALIDATION_FAILED"]
    assert response.json()["errors"][0]["message"] == "mutations are not allowed when using GET"


async def test_a_query_over_get_works(client, admin_token):
    response = await client.http.get(
        "/graphql", params={"query": "{ me { username } }"}, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"username": "alice"}}}


async def test_every_response_carries_a_request_id(client, admin_token):
    response = await client.post("{ me { username } }", token=admin_token)
    assert len(response.headers["x-request-id"]) == 32
    given = await client.http.post(
        "/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {admin_token}", "X-Request-ID": "trace-42"},
    )
    assert given.headers["x-request-id"] == "trace-42"
