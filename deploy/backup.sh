#!/bin/sh
# Chancela backup: the PostgreSQL database, then the stored files (local folder).
#   deploy/backup.sh /srv/backups/chancela        (reads CHANCELA_* from the environment)
# Writes <destination>/<UTC timestamp>/{chancela.dump, files.tar.gz, SHA256SUMS} and prints
# that folder. The encryption keys (CHANCELA_ENCRYPTION_KEYS) are NOT in the backup on purpose:
# keep them apart (password vault); without them the configurations' tokens cannot be read.
# Database first, files second: a file archived in between is kept without a row pointing at
# it (harmless), never a row pointing at a missing file.
set -eu
: "${CHANCELA_DATABASE_URL:?set CHANCELA_DATABASE_URL}"
destination=${1:?usage: backup.sh <destination folder>}
folder="$destination/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
pg_dump --format=custom --no-owner --no-privileges --file "$folder/chancela.dump" "$CHANCELA_DATABASE_URL"
if [ "${CHANCELA_STORAGE:-local}" = "local" ]; then
    : "${CHANCELA_MEDIA_ROOT:?set CHANCELA_MEDIA_ROOT}"
    mkdir -p "$CHANCELA_MEDIA_ROOT"
    tar -C "$CHANCELA_MEDIA_ROOT" -czf "$folder/files.tar.gz" .
else
    echo "CHANCELA_STORAGE=$CHANCELA_STORAGE: back up the bucket with the object store's own tools (docs/deploy.md)" >&2
fi
(cd "$folder" && sha256sum -- * > SHA256SUMS)
echo "$folder"
