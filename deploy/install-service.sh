#!/usr/bin/env bash
# Installs badgeclock as a systemd service on a Raspberry Pi (or any systemd Linux).
# Run from a checkout that has been built (npm ci --omit=dev && npm run build needs
# the dev tools once; see README "Install on a Raspberry Pi"), as root:
#   sudo deploy/install-service.sh
set -euo pipefail

APP_DIR=/opt/badgeclock
ETC_DIR=/etc/badgeclock
UNIT=/etc/systemd/system/badgeclock.service
SRC_DIR="$(cd "$(dirname "$0")/.." && pwd)"

if [[ $EUID -ne 0 ]]; then
  echo "install-service: run as root (sudo $0)" >&2
  exit 1
fi
if [[ ! -f "$SRC_DIR/dist/src/cli.js" ]]; then
  echo "install-service: $SRC_DIR/dist is missing; run 'npm run build' first" >&2
  exit 1
fi

# A dedicated system user, in the spi and gpio groups where they exist.
if ! id badgeclock >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/badgeclock --no-create-home --shell /usr/sbin/nologin badgeclock
fi
for group in spi gpio; do
  if getent group "$group" >/dev/null; then usermod -aG "$group" badgeclock; fi
done

# The program, owned by root and read-only for the service.
mkdir -p "$APP_DIR"
if [[ "$SRC_DIR" != "$APP_DIR" ]]; then
  cp -a "$SRC_DIR/dist" "$SRC_DIR/node_modules" "$SRC_DIR/package.json" "$APP_DIR/"
fi
chown -R root:root "$APP_DIR"

# Settings and the key file: readable by the service user only.
mkdir -p "$ETC_DIR"
chown root:badgeclock "$ETC_DIR"
chmod 0750 "$ETC_DIR"
if [[ ! -f "$ETC_DIR/badgeclock.env" ]]; then
  cat >"$ETC_DIR/badgeclock.env" <<'ENV'
# badgeclock settings (README, "Configuration"). Examples:
# BADGECLOCK_TZ=Europe/Berlin
# BADGECLOCK_READER=keyboard
# BADGECLOCK_READER_NAME=front door
# BADGECLOCK_SPREADSHEET_ID=
# BADGECLOCK_KEY_FILE=/etc/badgeclock/key.json
ENV
fi
chown root:badgeclock "$ETC_DIR/badgeclock.env"
chmod 0640 "$ETC_DIR/badgeclock.env"
if [[ -f "$ETC_DIR/key.json" ]]; then
  chown badgeclock:badgeclock "$ETC_DIR/key.json"
  chmod 0600 "$ETC_DIR/key.json"
fi

install -m 0644 "$SRC_DIR/deploy/badgeclock.service" "$UNIT"
systemd-analyze verify "$UNIT"
systemctl daemon-reload
systemctl enable --now badgeclock
echo "badgeclock is installed and running: journalctl -u badgeclock -f"
