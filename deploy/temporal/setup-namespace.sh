#!/bin/sh
# One-shot job (service temporal-setup, temporalio/admin-tools image): once the cluster
# answers, creates the namespace the engine uses and the custom search attributes it writes
# (ATREZZO_SEARCH_ATTRIBUTES, "Name=Type ...", the list in engine/search_attributes.py; a
# test keeps the two equal). Idempotent: a namespace or attribute that exists is left alone.
# The `temporal` CLI reads TEMPORAL_ADDRESS from the environment.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${ATREZZO_SEARCH_ATTRIBUTES:?}"
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-720h}

# Runs "$@" until it succeeds, at most 60 times 2 s apart.
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "gave up: $*" >&2
      return 1
    fi
    sleep 2
  done
}

echo "Waiting for Temporal at $TEMPORAL_ADDRESS"
retry temporal operator cluster health

if temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  echo "Namespace $TEMPORAL_NAMESPACE exists"
else
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$RETENTION"
fi

# A new namespace reaches the frontend's cache a few seconds after it is created.
retry temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" >/dev/null
existing=$(temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" --output json)

for pair in $ATREZZO_SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  if printf '%s' "$existing" | grep -q "\"$name\""; then
    echo "Search attribute $name exists"
  else
    # The CLI refuses an attribute that exists with another type.
    retry temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" \
      --name "$name" --type "$type"
  fi
done
echo "Namespace $TEMPORAL_NAMESPACE and its search attributes are ready."
