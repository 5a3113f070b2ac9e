#!/usr/bin/env bash
# Makes this machine a hot standby of the primary, streaming its WAL (PostgreSQL 15, Debian).
# Run as root on the replica machine:  deploy/make-replica.sh 10.0.0.21 replica1
# The primary needs a `replicator` role (CREATE ROLE replicator REPLICATION LOGIN PASSWORD '...')
# and a pg_hba.conf line for this machine (see deploy/postgresql-primary.conf); the password is
# read from ~postgres/.pgpass.
set -euo pipefail
primary="$1"
slot="${2:-$(hostname -s | tr -c 'a-z0-9_\n' _)}"
data=/var/lib/postgresql/15/main
systemctl stop postgresql@15-main
mv "$data" "$data.before-replica-$(date -u +%Y%m%dT%H%M%SZ)"
# -R writes standby.signal and primary_conninfo; -C -S creates and uses a replication slot;
# -X stream copies the WAL written meanwhile, so the copy is consistent.
runuser -u postgres -- pg_basebackup -h "$primary" -U replicator -D "$data" \
  -R -X stream -C -S "$slot" -c fast -P
systemctl start postgresql@15-main
runuser -u postgres -- psql -qAtc "SELECT pg_is_in_recovery()" | grep -qx t
echo "streaming from $primary through slot $slot"
