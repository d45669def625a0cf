#!/usr/bin/env bash
# `make bench`: what the scripts in bench/ need beyond the dev requirements, from Debian:
# wrk (the HTTP load), HAProxy (bench/load.py --instances 2), valgrind (bench/instructions.py),
# Dovecot (bench/inbound.py), python3-venv (.venv on Debian's python3). Installs only what is
# missing; needs root when something is.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
# So that the Makefile can make .venv with Debian's python3, as production runs it.
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "bench/ has what it needs from Debian: each script's command is in README.md, \"Performance and reliability\"."
