#!/usr/bin/env bash
# Installs the C libraries Nightjar links against, when missing (Debian/Ubuntu).
# Sourced by scripts/example.sh and scripts/test.sh.
set -euo pipefail

NIGHTJAR_APT_PACKAGES=(libsqlite3-dev liblz4-dev libpq-dev libssl-dev pkg-config)

# Tools only the tests run (scripts/test.sh passes them to nightjar_install_system_deps):
# promtool, from the package prometheus, checks the metrics files and the alert rules;
# python3 with jsonschema and yaml checks job files against schemas/job.schema.json; python3-sklearn
# (scikit-learn and numpy) computes the outcome metrics the evaluation tests compare with.
NIGHTJAR_TEST_APT_PACKAGES=(prometheus python3-jsonschema python3-yaml python3-sklearn)

# Installs NIGHTJAR_APT_PACKAGES and the packages given as arguments, those missing.
nightjar_install_system_deps() {
    local missing=()
    for p in "${NIGHTJAR_APT_PACKAGES[@]}" "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    echo "installing system packages: ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "error: need root (or sudo) to install: ${missing[*]}" >&2
            return 1
        fi
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

nightjar_check_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "error: swift is not on PATH; install Swift 6 (https://www.swift.org/install/) first" >&2
        return 1
    fi
}
