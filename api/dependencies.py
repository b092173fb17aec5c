"""Typed dependencies for route handlers: everything comes from app.state, built in the lifespan."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from api.flows import Flows
from api.resources import Resources
from api.security import Signer
from settings import Settings


def _resources(request: Request) -> Resources:
    return request.app.state.resources


def _settings(request: Request) -> Settings:
    return request.app.state.resources.settings


def _templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def _signer(request: Request) -> Signer:
    return request.app.state.signer


async def _pool(resources: Annotated[Resources, Depends(_resources)]) -> asyncpg.Pool:
    return await resources.pool()


async def get_flows(request: Request) -> Flows:
    resources: Resources = request.app.state.resources
    client = await resources.temporal()
    return Flows(client, resources.settings, request.app.state.signer, request.app.state.templates)


ResourcesDep = Annotated[Resources, Depends(_resources)]
SettingsDep = Annotated[Settings, Depends(_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(_templates)]
SignerDep = Annotated[Signer, Depends(_signer)]
PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
FlowsDep = Annotated[Flows, Depends(get_flows)]
