#!/bin/sh
# Chancela restore from a folder written by deploy/backup.sh, into an EMPTY (or disposable)
# database and files folder. Stop the web, workers and scheduler first.
#   deploy/restore.sh /srv/backups/chancela/20270105T020000Z
# Then start Chancela with the SAME CHANCELA_ENCRYPTION_KEYS as when the backup was taken.
set -eu
: "${CHANCELA_DATABASE_URL:?set CHANCELA_DATABASE_URL}"
folder=${1:?usage: restore.sh <backup folder>}
(cd "$folder" && sha256sum --check --quiet SHA256SUMS)
pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --dbname "$CHANCELA_DATABASE_URL" "$folder/chancela.dump"
if [ -f "$folder/files.tar.gz" ]; then
    : "${CHANCELA_MEDIA_ROOT:?set CHANCELA_MEDIA_ROOT}"
    mkdir -p "$CHANCELA_MEDIA_ROOT"
    tar -C "$CHANCELA_MEDIA_ROOT" -xzf "$folder/files.tar.gz"
fi
echo "restored from $folder"
