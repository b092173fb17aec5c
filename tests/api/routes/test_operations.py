"""/operations and /api/v1/operations: staff only (403 and an audit entry for anyone else),
filters checked on the same screen, the audit trail read a page at a time, every read
recorded with the staff member as actor. Flows themselves: tests/integration/test_operations.py."""

from __future__ import annotations

import pytest

from tests.support.staff import audit_rows, person

UNKNOWN_FLOW = "registration-00000000-0000-0000-0000-000000000000"
# Every operations endpoint: (method, path, JSON body or None).
ENDPOINTS = [
    ("GET", "/operations", None),
    ("GET", "/api/v1/operations/flows", None),
    ("GET", f"/operations/flows/{UNKNOWN_FLOW}", None),
    ("GET", f"/api/v1/operations/flows/{UNKNOWN_FLOW}", None),
    ("POST", f"/operations/flows/{UNKNOWN_FLOW}/cancel", None),
    ("POST", f"/operations/flows/{UNKNOWN_FLOW}/restart", None),
    ("POST", f"/api/v1/operations/flows/{UNKNOWN_FLOW}/cancel", {}),
    ("POST", f"/api/v1/operations/flows/{UNKNOWN_FLOW}/restart", {}),
    ("GET", "/operations/users?username=someone", None),
    ("GET", "/operations/users/someone", None),
    ("GET", "/api/v1/operations/users/someone/audit", None),
]


def client_as(session_app, token: str | None):
    http = session_app.http()
    if token:
        http.cookies.set("atrezzo_session", token)
    return http


async def call(http, method: str, path: str, body):
    if method == "GET":
        return await http.get(path, follow_redirects=False)
    if body is None:
        return await http.post(path, data={"confirm": "yes"}, follow_redirects=False)
    return await http.post(path, json=body, follow_redirects=False)


async def test_everyone_but_staff_gets_403_on_every_endpoint_and_an_audit_entry(session_app):
    user_id, token = await person(session_app, "pat.portal", staff=False)
    async with client_as(session_app, token) as http:
        for method, path, body in ENDPOINTS:
            response = await call(http, method, path, body)
            assert response.status_code == 403, (method, path, response.text)
            assert "Staff only." in response.text
    refused = await audit_rows(session_app.pool, "operations.refused")
    assert [(str(r["actor_user_id"]), r["detail"]["method"], r["detail"]["path"]) for r in refused] == [
        (user_id, method, path.split("?")[0]) for method, path, _ in ENDPOINTS
    ]


async def test_without_a_session_programs_get_401_and_browsers_the_login_page(session_app):
    async with client_as(session_app, None) as http:
        for method, path, body in ENDPOINTS:
            response = await call(http, method, path, body)
            if path.startswith("/api/"):
                assert response.status_code == 401, path
            else:
                assert (response.status_code, response.headers["location"]) == (303, "/"), path


async def test_staff_see_the_operations_page_and_every_read_is_audited(session_app):
    staff_id, token = await person(session_app, "sam.support", staff=True)
    async with client_as(session_app, token) as http:
        page = await http.get("/operations?process=registration&step=check_email&older_than=15m")
        assert page.status_code == 200
        assert "<h1>Operations</h1>" in page.text and 'value="check_email"' in page.text
        listed = await http.get("/api/v1/operations/flows", params={"process": "registration"})
        # The Temporal server is shared by the whole run: other tests' flows may be listed.
        assert listed.status_code == 200 and isinstance(listed.json()["flows"], list)
    [first, second] = await audit_rows(session_app.pool, "operations.flows_listed")
    assert str(first["actor_user_id"]) == staff_id
    assert first["detail"] | {"count": 0} == {"via": "web", "process": "registration", "step": "check_email", "older_than": "900s", "count": 0}
    assert (second["detail"]["process"], second["detail"]["count"]) == ("registration", len(listed.json()["flows"]))


async def test_home_offers_operations_to_staff_only(session_app):
    _, staff = await person(session_app, "sam.support", staff=True)
    _, other = await person(session_app, "pat.portal", staff=False)
    for token, shown in ((staff, True), (other, False)):
        async with client_as(session_app, token) as http:
            home = await http.get("/home")
        assert home.status_code == 200
        assert ('<a href="/operations">Operations</a>' in home.text) is shown


@pytest.mark.parametrize(
    "params, message",
    [
        ({"older_than": "soon"}, "older than must look like 15m"),
        ({"process": "registration' OR 1=1"}, "process must be a name"),
        ({"step": "Check Email"}, "step must be a name"),
    ],
)
async def test_a_bad_filter_is_named_on_the_same_screen(session_app, params, message):
    _, token = await person(session_app, "sam.support", staff=True)
    async with client_as(session_app, token) as http:
        api = await http.get("/api/v1/operations/flows", params=params)
        assert api.status_code == 422 and message in api.json()["detail"]
        page = await http.get("/operations", params=params)
        assert page.status_code == 422 and message in page.text and "<h1>Operations</h1>" in page.text


async def test_an_unknown_flow_or_user_is_a_404_with_a_clear_message(session_app):
    _, token = await person(session_app, "sam.support", staff=True)
    async with client_as(session_app, token) as http:
        for path in (f"/api/v1/operations/flows/{UNKNOWN_FLOW}", "/api/v1/operations/flows/not%20an%20id"):
            response = await http.get(path)
            assert response.status_code == 404 and response.json()["detail"].startswith("No flow with id")
        cancel = await http.post(f"/api/v1/operations/flows/{UNKNOWN_FLOW}/cancel", json={})
        assert cancel.status_code == 404
        nobody = await http.get("/api/v1/operations/users/nobody.here/audit")
        assert (nobody.status_code, nobody.json()) == (404, {"detail": "No user named 'nobody.here'."})
        page = await http.get("/operations/users/nobody.here")
        assert page.status_code == 404 and "No user named" in page.text
    [refused] = await audit_rows(session_app.pool, "operations.action_refused")
    assert refused["detail"]["action"] == "cancel" and refused["detail"]["flow"] == UNKNOWN_FLOW


async def test_the_api_needs_json_for_actions(session_app):
    _, token = await person(session_app, "sam.support", staff=True)
    async with client_as(session_app, token) as http:
        response = await http.post(f"/api/v1/operations/flows/{UNKNOWN_FLOW}/cancel", data={"x": "1"})
        assert response.status_code == 415


async def test_a_page_form_without_its_csrf_token_is_refused(session_app):
    _, token = await person(session_app, "sam.support", staff=True)
    async with client_as(session_app, token) as http:
        response = await http.post(f"/operations/flows/{UNKNOWN_FLOW}/cancel", data={"confirm": "yes"})
        assert response.status_code == 403 and "session has expired" in response.text


async def test_a_users_audit_trail_newest_first_a_page_at_a_time(session_app):
    staff_id, token = await person(session_app, "sam.support", staff=True)
    user_id, _ = await person(session_app, "pat.portal", staff=False)
    async with session_app.pool.acquire() as conn:
        for n in range(5):
            await conn.execute(
                "INSERT INTO audit_events (event, subject_user_id, detail) VALUES ($1, $2, $3)",
                f"test.event_{n}", user_id, {"n": str(n)},
            )
    async with client_as(session_app, token) as http:
        first = (await http.get("/api/v1/operations/users/PAT.PORTAL/audit", params={"limit": 3})).json()
        assert (first["username"], first["user_id"]) == ("pat.portal", user_id)
        assert [e["event"] for e in first["events"]] == ["test.event_4", "test.event_3", "test.event_2"]
        assert first["events"][0]["detail"] == {"n": "4"}
        second = (await http.get("/api/v1/operations/users/pat.portal/audit",
                                 params={"limit": 3, "before": first["next_before"]})).json()
        events = [e["event"] for e in second["events"]]
        assert events[:2] == ["test.event_1", "test.event_0"] and "session.started" not in events
        page = await http.get("/operations/users/pat.portal")
        assert page.status_code == 200 and "Audit trail: pat.portal" in page.text and "test.event_4" in page.text
    reads = await audit_rows(session_app.pool, "operations.audit_read")
    assert len(reads) == 3
    assert all((str(r["actor_user_id"]), str(r["subject_user_id"])) == (staff_id, user_id) for r in reads)
    # Staff actions show on the staff member's own trail too (as actor).
    async with client_as(session_app, token) as http:
        own = (await http.get("/api/v1/operations/users/sam.support/audit")).json()
    assert "operations.audit_read" in [e["event"] for e in own["events"]]
