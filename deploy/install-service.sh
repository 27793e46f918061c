#!/usr/bin/env bash
# Installs badgeclock as a systemd service on a Raspberry Pi (or any systemd Linux).
# Run from a checkout that has been built (npm ci --omit=dev && npm run build needs
# the dev tools once; see README "Install on a Raspberry Pi"), as root:
#   sudo deploy/install-service.sh
set -euo pipefail

APP_DIR=/opt/badgeclock
ETC_DIR=/etc/badgeclock
UNIT=/etc/systemd/system/badgeclock.service
BACKUP_UNIT=/etc/systemd/system/badgeclock-backup
BACKUP_DIR=/var/backups/badgeclock
SRC_DIR="$(cd "$(dirname "$0")/.." && pwd)"

# Whether an env file sets a reader a service can use. The default, the keyboard reader, reads
# stdin, which a service does not have (StandardInput=null): it would start deaf.
reader_set() {
  grep -Eq "^[[:space:]]*(BADGECLOCK_READER=[\"']?(mfrc522|evdev)[\"']?[[:space:]]*\$|BADGECLOCK_READERS=.|BADGECLOCK_CONFIG=.)" "$1"
}

# Enables the nightly backup's timer once: the first time the script runs with a reader set,
# including the upgrade of a clock installed before backups existed. The marker file says it was
# done, so a site that turned the timer off later keeps it off through upgrades.
enable_backup_once() {
  local marker="$1"
  if [[ -e "$marker" ]]; then return 0; fi
  systemctl enable --now badgeclock-backup.timer
  touch "$marker"
  echo "a copy of its store goes to $BACKUP_DIR every night (systemctl list-timers badgeclock-backup)"
}

if [[ $EUID -ne 0 ]]; then
  echo "install-service: run as root (sudo $0)" >&2
  exit 1
fi
if [[ ! -f "$SRC_DIR/dist/src/cli.js" ]]; then
  echo "install-service: $SRC_DIR/dist is missing; run 'npm run build' first" >&2
  exit 1
fi

# A dedicated system user, in the spi, gpio and input groups where they exist (input: a USB
# keyboard-wedge reader read from /dev/input).
if ! id badgeclock >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/badgeclock --no-create-home --shell /usr/sbin/nologin badgeclock
fi
for group in spi gpio input; do
  if getent group "$group" >/dev/null; then usermod -aG "$group" badgeclock; fi
done

# The evdev reader grabs its device through a small python3 helper.
if ! command -v python3 >/dev/null; then
  echo "install-service: python3 is missing; a USB reader on /dev/input needs it (sudo apt install python3)" >&2
fi

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
# badgeclock settings (README, "Configuration"). Set a reader: the default, keyboard, reads
# stdin, and a service has none. Examples:
# BADGECLOCK_TZ=Europe/Berlin
# BADGECLOCK_READER=mfrc522
# BADGECLOCK_READER_NAME=front door
# A USB keyboard-wedge reader: its stable path from ls -l /dev/input/by-id/
# BADGECLOCK_READER=evdev
# BADGECLOCK_INPUT_DEVICE=/dev/input/by-id/usb-Reader-event-kbd
# Several readers: a JSON list in single quotes (README, "Several readers")
# BADGECLOCK_READERS='[{"kind":"mfrc522","name":"entrance"},{"kind":"mfrc522","name":"exit","spiDevice":"/dev/spidev0.1"}]'
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

# The nightly backup's folder (another disk: BACKUP_DIR in $ETC_DIR/backup.env, see the unit).
mkdir -p "$BACKUP_DIR"
chown badgeclock:badgeclock "$BACKUP_DIR"
chmod 0750 "$BACKUP_DIR"

install -m 0644 "$SRC_DIR/deploy/badgeclock.service" "$UNIT"
install -m 0644 "$SRC_DIR/deploy/badgeclock-backup.service" "$BACKUP_UNIT.service"
install -m 0644 "$SRC_DIR/deploy/badgeclock-backup.timer" "$BACKUP_UNIT.timer"
systemd-analyze verify "$UNIT" "$BACKUP_UNIT.service" "$BACKUP_UNIT.timer"
systemctl daemon-reload
if reader_set "$ETC_DIR/badgeclock.env"; then
  systemctl enable --now badgeclock
  echo "badgeclock is installed and running: journalctl -u badgeclock -f"
  # With the clock, which makes the store to copy: a backup before its first start would fail.
  enable_backup_once "$ETC_DIR/.backup-timer-enabled"
else
  # Not started, nor enabled: a clock that reads no cards looks like it works.
  echo "badgeclock is installed but not started: no card reader is set, and the keyboard reader reads" >&2
  echo "nothing under systemd. Set BADGECLOCK_READER=mfrc522, or BADGECLOCK_READER=evdev and" >&2
  echo "BADGECLOCK_INPUT_DEVICE, in $ETC_DIR/badgeclock.env, then: sudo systemctl enable --now badgeclock" >&2
  echo "and the nightly backup: sudo systemctl enable --now badgeclock-backup.timer" >&2
fi
