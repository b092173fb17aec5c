"""`python -m devstack.oidc_provider`: the OpenID provider behind the Kepro LOGIN (staff single
sign-on) in `make dev` and in the tests: oidc-provider-mock, with PKCE enforced.

Why a wrapper: the package (0.3.4) takes code_challenge and ignores it, so a client that lost
its code_verifier would still get tokens. The portal's client always sends PKCE (S256); with
the check added here, the dev stack and the tests prove that it does, as a real IdP would.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import signal
import warnings
from urllib.parse import parse_qs, urlsplit

import flask
import werkzeug.serving

# RFC 7636 §4.1: 43 to 128 unreserved characters.
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def demo_staff_claims(domain: str = "kepro.com") -> dict[str, object]:
    """The one identity `make dev` offers: a verified address in a staff domain, in the staff group."""
    return {"sub": "demo-staff", "email": f"staff.demo@{domain}", "email_verified": True,
            "given_name": "Demo", "family_name": "Staff", "name": "Demo Staff", "groups": ["kepro-staff"]}


def with_pkce(app: flask.Flask) -> flask.Flask:
    """S256 PKCE on the package's authorization-code grant: the authorization request must
    carry a challenge, and the code is exchanged only with the verifier that hashes to it."""
    challenges: dict[str, str] = {}  # authorization code -> the code_challenge it was issued for

    @app.before_request
    def require_pkce():
        request = flask.request
        if request.path == "/oauth2/authorize":
            if request.values.get("code_challenge_method") != "S256" or not request.values.get("code_challenge"):
                return _error("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
        elif request.path == "/oauth2/token" and request.form.get("grant_type") == "authorization_code":
            # Popped whatever the outcome: a code whose verifier was wrong once is spent.
            expected = challenges.pop(request.form.get("code", ""), None)
            verifier = request.form.get("code_verifier", "")
            if expected is None or not _VERIFIER.fullmatch(verifier) or _s256(verifier) != expected:
                return _error("invalid_grant", "PKCE: the code_verifier does not match the code_challenge")
        return None

    @app.after_request
    def remember_challenge(response: flask.Response) -> flask.Response:
        if flask.request.path == "/oauth2/authorize" and response.location:
            code = parse_qs(urlsplit(response.location).query).get("code")
            if code:
                challenges[code[0]] = flask.request.values["code_challenge"]
        return response

    return app


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _error(error: str, description: str) -> tuple[flask.Response, int]:
    return flask.jsonify(error=error, error_description=description), 400


def user_claims(text: str) -> dict[str, object]:
    claims = json.loads(text)
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise ValueError('a JSON object with a "sub"')
    return claims


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.oidc_provider", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="also the issuer's host: the package takes it from the Host header")
    parser.add_argument("--port", type=int, default=9400, help="0 picks a free one (the ready line names it)")
    parser.add_argument("--user-claims", type=user_claims, action="append", default=[], metavar="JSON",
                        help='a user offered on the sign-in page, e.g. {"sub": "x", "email": "x@kepro.com", "email_verified": true}')
    args = parser.parse_args()
    # authlib refuses plain http unless told; this process serves loopback only.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    # The package (pinned below 0.4, which needs Python 3.12) still uses authlib's older hooks:
    # their deprecation warnings would only clutter the log a person reads.
    # (authlib sets its own warnings to "always" on import: this filter has to come after.)
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    import oidc_provider_mock

    users = [oidc_provider_mock.User(sub=c["sub"], claims={k: v for k, v in c.items() if k != "sub"}) for c in args.user_claims]
    app = with_pkce(oidc_provider_mock.app(require_nonce=True, user_claims=users))
    server = werkzeug.serving.make_server(args.host, args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, _stop)
    offered = ", ".join(user.sub for user in users) or "none predefined"
    print(f"OpenID provider (PKCE S256 required): issuer http://{args.host}:{server.server_port}  users: {offered}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
