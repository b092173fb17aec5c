"""The login page (the guide's "LOGIN OPTIONS") and the signed-in account home."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from api.dependencies import SignerDep, TemplatesDep
from api.sessions import SignedIn, sign_out

router = APIRouter()

# What ?notice= may show. Only these keys: the page never echoes text from the request.
NOTICES = {
    "mfa_already_registered": (
        "You have already completed the Multi-Factor Authentication registration. "
        "Please log in with your phone or email."
    ),
    "signed_out": "You have been signed out.",
    "session_expired": "Your session has ended. Please log in again.",
}


class Me(BaseModel):
    id: str
    username: str
    first_name: str
    last_name: str


@router.get("/", include_in_schema=False)
async def login_page(request: Request, templates: TemplatesDep, notice: str = "") -> Response:
    return templates.TemplateResponse(request, "portal/login.html", {"notice": NOTICES.get(notice, "")})


@router.get("/home", include_in_schema=False)
async def home(request: Request, user: SignedIn, templates: TemplatesDep, signer: SignerDep) -> Response:
    csrf_token = signer.csrf_token(request.state.browser_id)
    return templates.TemplateResponse(request, "portal/home.html", {"user": user, "csrf_token": csrf_token})


@router.get("/api/v1/me", response_model=Me, tags=["account"], summary="The signed-in account (401 when none)")
async def me(user: SignedIn) -> Me:
    return Me(id=str(user.id), username=user.username, first_name=user.first_name, last_name=user.last_name)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, signer: SignerDep, csrf_token: Annotated[str | None, Form()] = None) -> Response:
    if not signer.csrf_ok(request.state.browser_id, csrf_token):
        raise HTTPException(403, "Your session has expired. Please reload the page and try again.")
    response = RedirectResponse("/?notice=signed_out", status_code=303)
    await sign_out(request, response)
    return response
