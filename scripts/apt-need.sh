#!/usr/bin/env bash
# apt-need.sh: installs the Debian packages the project's extra stages need, if they are missing.
#   scripts/apt-need.sh PATH=PACKAGE ...   (PATH: a command name or an absolute file path)
set -eu
missing=()
for pair in "$@"; do
  what=${pair%%=*}
  pkg=${pair#*=}
  if [[ $what == /* ]]; then
    [ -e "$what" ] || missing+=("$pkg")
  else
    command -v "$what" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
