"""Staff accounts and their identities at the OpenID provider (migrations/0012): the account a
staff sign-in signs in as. Run inside a transaction: the account, its link and its roles
change together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from store.sql import query
from domain.staff_identity import StaffIdentity

# Why an identity the provider vouched for still does not sign in.
DISABLED = "disabled"
OTHER_IDENTITY = "other_identity"  # the address's account is linked to another provider identity


@dataclass(frozen=True)
class StaffAccountFound:
    user_id: UUID | None
    account: str = ""  # how it was found: "linked" before, "linked now" by its address, or "created"
    refusal: str = ""
    granted: tuple[str, ...] = ()  # roles this sign-in gave: "staff", "provider_admin:<npi>"
    revoked: tuple[str, ...] = ()  # and those it took away (the person left the group)


async def staff_account(
    conn: asyncpg.Connection, identity: StaffIdentity, group_roles: Iterable[tuple[str, str, str]]
) -> StaffAccountFound:
    """The account ``identity`` signs in as: the one linked to it; else, at its first sign-in,
    the account holding its verified address (linked now), or a new one. ``group_roles``:
    (group, role, NPI) from STAFF_OIDC_GROUP_ROLES, applied on the way (``_set_roles``)."""
    row = await conn.fetchrow(query("staff_identities/linked_account"), identity.issuer, identity.subject)
    if row is not None:
        user_id, status, account = row["id"], row["status"], "linked"
    else:
        holder = await conn.fetchrow(query("staff_identities/by_email"), identity.email)
        if holder is not None and holder["linked"]:
            # Another person at the provider had this address before: theirs stays theirs.
            return StaffAccountFound(holder["id"], refusal=OTHER_IDENTITY)
        if holder is not None and holder["status"] == DISABLED:
            return StaffAccountFound(holder["id"], refusal=DISABLED)
        if holder is None:
            user_id, account = await _new_account(conn, identity), "created"
        else:
            user_id, account = holder["id"], "linked now"
            await conn.execute(query("staff_identities/as_staff_account"), user_id)
        await conn.execute(query("staff_identities/link"), identity.issuer, identity.subject, user_id)
        status = "active"
    if status == DISABLED:
        return StaffAccountFound(user_id, refusal=DISABLED)
    granted, revoked = await _set_roles(conn, user_id, identity.groups, group_roles)
    await conn.execute(query("staff_identities/signed_in"), user_id)
    return StaffAccountFound(user_id, account, granted=granted, revoked=revoked)


async def _new_account(conn: asyncpg.Connection, identity: StaffIdentity) -> UUID:
    first, last = _names(identity)
    base = identity.email.partition("@")[0].lower()[:90] or "staff"
    taken = {row["username"] for row in await conn.fetch(query("staff_identities/usernames_like"), base)}
    username = next(name for name in _candidates(base) if name not in taken)
    return await conn.fetchval(query("staff_identities/insert_account"), username, first, last, identity.email)


def _candidates(base: str) -> Iterable[str]:
    yield base
    number = 2
    while True:
        yield f"{base}-{number}"
        number += 1


def _names(identity: StaffIdentity) -> tuple[str, str]:
    """First and last name, as the provider gives them; a name the provider does not split is
    split at its last space. The portal requires both, so a missing one reads "Staff"."""
    first, last = identity.given_name.strip(), identity.family_name.strip()
    if not (first and last) and identity.name.strip():
        head, _, tail = identity.name.strip().rpartition(" ")
        first, last = first or head or tail, last or (tail if head else "")
    return (first or identity.email.partition("@")[0])[:100], (last or "Staff")[:100]


async def _set_roles(
    conn: asyncpg.Connection, user_id: UUID, groups: tuple[str, ...], group_roles: Iterable[tuple[str, str, str]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A role some group maps to is the provider's to decide: held while the person is in such
    a group, taken away when no longer. A role no group maps stays as the CLI set it.
    Returns the roles granted and those taken away, as "staff" or "provider_admin:<npi>"."""
    mapped: dict[tuple[str, str], bool] = {}
    for group, role, npi in group_roles:
        mapped[(role, npi)] = mapped.get((role, npi), False) or group in groups
    granted, revoked = [], []
    for (role, npi), held in mapped.items():
        name = f"{role}:{npi}" if npi else role
        change = f"{'grant' if held else 'revoke'}_{'staff' if role == 'staff' else 'admin'}"
        args = (user_id,) if role == "staff" else (user_id, npi)
        if await conn.fetchval(query(f"staff_identities/{change}"), *args) is not None:
            (granted if held else revoked).append(name)
    return tuple(granted), tuple(revoked)


async def account_of(conn: asyncpg.Connection, identity: StaffIdentity) -> UUID | None:
    """The account linked to ``identity`` now (what its flow's sign-in must be)."""
    return await conn.fetchval(query("staff_identities/account_of"), identity.issuer, identity.subject)


async def is_linked(conn: asyncpg.Connection, user_id: UUID) -> bool:
    """The account signs in by the Kepro LOGIN (it has a provider identity)."""
    return await conn.fetchval(query("staff_identities/is_linked"), user_id)
