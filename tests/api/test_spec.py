"""The OpenAPI document is valid and complete; the reference page runs from vendored files under the CSP."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_the_spec_is_a_valid_openapi_document(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.json
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    for path in (
        "/api/v1/contacts",
        "/api/v1/contacts/bulk",
        "/api/v1/responses",
        "/api/v1/metrics",
        "/api/v1/tombstones",
        "/api/v1/unsubscribes",
        "/api/v1/bounces",
        "/api/v1/sends",
    ):
        assert path in paths, path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert "application/problem+json" in error["content"]


def test_every_api_route_is_in_the_spec(app, client):
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api_") and not rule.endpoint.startswith(("api_docs.", "api_tokens.")):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, path


def test_the_docs_page_uses_vendored_assets_and_no_inline_script(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    csp = resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(path).status_code == 200, path
