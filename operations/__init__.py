"""Support operations on running flows, shared by the staff pages and the `atrezzo flows` CLI:
find stuck flows (Temporal visibility and the custom search attributes), read a flow's
timeline (steps and when, never payloads), cancel and restart flows, read a user's audit
trail. Every action is recorded with its actor (operations.actors)."""
