"""The staff sign-in's database step: the account a staff member's verified identity signs in
as (store/staff_identities.py), the roles their provider groups decide, and its audit row, in
one transaction."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import StaffAccount
from activities.postgres_steps import PostgresSteps, audit_once, flow_detail
from domain.staff_identity import StaffIdentity
from store import staff_identities


class StaffAccountActivities(PostgresSteps):
    def __init__(self, pool, group_roles: list[tuple[str, str, str]]) -> None:
        super().__init__(pool)
        # (group, role, NPI) from STAFF_OIDC_GROUP_ROLES.
        self._group_roles = group_roles

    def all(self) -> list:
        return [self.staff_account]

    @activity.defn(name="staff_account")
    async def staff_account(self, identity: StaffIdentity) -> StaffAccount:
        async with self._connection() as conn, conn.transaction():
            found = await staff_identities.staff_account(conn, identity, self._group_roles)
            if found.refusal:
                await audit_once(conn, "staff.sign_in_refused", subject=found.user_id,
                                 detail=flow_detail(reason=found.refusal, issuer=identity.issuer))
                return StaffAccount(refusal=found.refusal)
            # One event, whatever the account's story: a retry of a step that committed finds
            # the account linked, and must not record a second sign-in.
            await audit_once(conn, "staff.signed_in", subject=found.user_id,
                             detail=flow_detail(issuer=identity.issuer, account=found.account, granted=list(found.granted),
                                               revoked=list(found.revoked)))
        return StaffAccount(account_id=str(found.user_id))
