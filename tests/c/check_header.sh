#!/bin/sh
# Fails when include/tasker_batch.h is not exactly what the pinned cbindgen generates from
# the source, or when the generated header declares anything outside the C ABI.
#
#   sh tests/c/check_header.sh
#
# Fix a difference with `rake header` (and commit the header).
set -eu

CBINDGEN_VERSION=0.29.4 # keep in step with bin/setup

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HEADER=include/tasker_batch.h
cd "$ROOT"

fail() {
    echo "check_header.sh: $*" >&2
    exit 1
}

# bin/setup installs cbindgen with `cargo install`, which may not be on PATH yet.
[ -n "${HOME:-}" ] && PATH="$PATH:$HOME/.cargo/bin"

command -v cbindgen >/dev/null 2>&1 ||
    fail "cbindgen not found; run bin/setup (it installs cbindgen $CBINDGEN_VERSION)"
found=$(cbindgen --version 2>/dev/null || true)
[ "$found" = "cbindgen $CBINDGEN_VERSION" ] ||
    fail "expected cbindgen $CBINDGEN_VERSION, found '$found' at $(command -v cbindgen)" \
        "(another version writes another header); run bin/setup"

work=$(mktemp -d "${TMPDIR:-/tmp}/check_header.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

if ! cbindgen --config cbindgen.toml --crate tasker-batch --output "$work/tasker_batch.h" \
    2>"$work/cbindgen.log"; then
    cat "$work/cbindgen.log" >&2
    fail "cbindgen failed"
fi

# Only src/capi.rs is ABI: every macro is TASKER_BATCH_*, every declaration tasker_batch_*.
# A domain item here means cbindgen.toml's [export] exclude needs its name.
leaks=$(
    {
        sed -n 's/^#define \([A-Za-z0-9_]*\).*/\1/p' "$work/tasker_batch.h" |
            grep -v '^TASKER_BATCH_'
        grep '^[A-Za-z_]' "$work/tasker_batch.h" |
            grep -v -e '^extern "C"' -e 'tasker_batch_'
    } || true
)
if [ -n "$leaks" ]; then
    printf '%s\n' "$leaks" >&2
    fail "the generated header declares items outside the C ABI (above);" \
        "add them to [export] exclude in cbindgen.toml"
fi

[ -f "$HEADER" ] || fail "$HEADER is missing; run rake header"
if ! diff -u "$HEADER" "$work/tasker_batch.h" >"$work/diff"; then
    sed "s|$work/tasker_batch.h|generated|" "$work/diff" >&2
    fail "$HEADER differs from what cbindgen $CBINDGEN_VERSION generates (diff above);" \
        "run rake header"
fi
echo "check_header.sh: $HEADER is up to date (cbindgen $CBINDGEN_VERSION)"
