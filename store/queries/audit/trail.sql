-- A user's trail: what happened to them and what they did (staff actions name them as
-- actor), newest first, a page at a time by id. $1 user id, $2 only ids below this (NULL:
-- from the newest), $3 page size.
SELECT e.id,
       e.at,
       e.event,
       e.actor_user_id,
       actor.username::text AS actor_username,
       e.subject_user_id,
       host(e.client_ip) AS client_ip,
       e.detail::text AS detail
FROM audit_events AS e
LEFT JOIN users AS actor ON actor.id = e.actor_user_id
WHERE (e.subject_user_id = $1 OR e.actor_user_id = $1)
  AND ($2::bigint IS NULL OR e.id < $2)
ORDER BY e.id DESC
LIMIT $3
