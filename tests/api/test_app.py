"""The app's error pages for what happens outside a route: Temporal not answering is a
"try again" page (503), on the form routes and the JSON API alike, never a 500 trace."""

from __future__ import annotations

from api.app import UNAVAILABLE, create_app
from devstack.topology import Target
from provingground.faults import FaultProxy, Mode
from tests.api.test_flows import csrf_of
from tests.support import challenge_routes
from tests.support.app import TEMPLATES, asgi_client
from tests.support.temporal import make_settings


async def test_temporal_gone_mid_session_answers_try_again_not_a_server_error(temporal_env, smtp_sink, db_url):
    host, _, port = temporal_env.client.service_client.config.target_host.rpartition(":")
    proxy = FaultProxy("temporal", Target(host, int(port)))
    await proxy.start()
    settings = make_settings(
        database_url=db_url, temporal_address=proxy.address, smtp_host=smtp_sink.smtp_host, smtp_port=smtp_sink.smtp_port,
    )
    app = create_app(settings, extra_routers=(challenge_routes.router,), extra_template_dirs=(TEMPLATES,))
    try:
        async with app.router.lifespan_context(app), asgi_client(app) as http:
            form = await http.get("/challenge/new")
            await proxy.set(Mode.REFUSE)  # the API had connected; now the server is gone
            data = {"channel": "email", "destination": "sam@example.com", "csrf_token": csrf_of(form.text)}
            page = await http.post("/challenge", data=data)
            api = await http.post("/api/v1/challenge", json={"channel": "email", "destination": "sam@example.com"})
            assert (page.status_code, api.status_code) == (503, 503), (page.text, api.text)
            assert UNAVAILABLE in page.text and "Traceback" not in page.text
            assert api.json() == {"detail": UNAVAILABLE}
    finally:
        await proxy.stop()


async def test_postgresql_gone_answers_try_again_and_the_pool_recovers(temporal_env, db_url):
    # db_url: postgresql://user@/db?host=<socket dir>; the API reaches it through the proxy.
    socket_dir = db_url.split("host=", 1)[1].split("&", 1)[0]
    proxy = FaultProxy("postgres", Target(unix_path=f"{socket_dir}/.s.PGSQL.5432"))
    await proxy.start()
    user, database = db_url.split("://", 1)[1].split("@", 1)[0], db_url.split("?", 1)[0].rsplit("/", 1)[1]
    settings = make_settings(
        database_url=f"postgresql://{user}@{proxy.address}/{database}",
        temporal_address=temporal_env.client.service_client.config.target_host,
    )
    app = create_app(settings)
    wrong = {"email": "nobody@example.com", "password": "not-the-password-1A!"}
    try:
        async with app.router.lifespan_context(app), asgi_client(app) as http:
            before = await http.post("/api/v1/login/email", json=wrong)
            assert before.status_code < 500, before.text  # the pool holds live connections now
            await proxy.set(Mode.REFUSE)  # a restart: every connection cut, none taken
            during = await http.post("/api/v1/login/email", json=wrong)
            assert during.status_code == 503 and during.json() == {"detail": UNAVAILABLE}
            await proxy.set(Mode.PASS)
            after = await http.post("/api/v1/login/email", json=wrong)
            assert after.status_code == before.status_code, after.text
    finally:
        await proxy.stop()
