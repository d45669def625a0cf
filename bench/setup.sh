#!/usr/bin/env bash
# `make bench`: what the scripts in bench/ need beyond the dev requirements, from Debian:
# wrk (the HTTP load), HAProxy (bench/load.py --instances 2), valgrind (bench/instructions.py),
# Dovecot (bench/inbound.py). Installs only what is missing; needs root when something is.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "bench/ is ready: each script's command is in README.md, \"Performance and reliability\"."
