#!/bin/sh
# One-shot job (service temporal-schema, temporalio/admin-tools image): creates or upgrades
# the Temporal schema in temporal-db: the `temporal` database (histories, shards, task
# queues) and `temporal_visibility` (what list/filter queries read). As in
# temporalio/samples-server's compose. Safe on every `docker compose up`: `create` and
# `setup-schema -v 0.0` leave an existing database and version table alone, and
# `update-schema` applies only the versions not applied yet; an image upgrade runs the same
# job and migrates before the new server starts.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
    -u "$POSTGRES_USER" "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  database=${pair%%:*}
  schema=${pair#*:}
  echo "Temporal schema: $database"
  sql_tool --db "$database" create
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "Temporal schema is up to date."
