#!/bin/sh
# The conformance vectors through the C ABI, as a C program sees it.
#
# Builds the Rust library, compiles tests/c/conformance.c twice (against the shared and
# against the static library), runs both over spec/conformance, and runs the shared build
# under valgrind when valgrind is installed.
#
#   sh tests/c/run.sh                    debug build of the library
#   PROFILE=release sh tests/c/run.sh    release build
#   CC=clang sh tests/c/run.sh           another C compiler
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROFILE=${PROFILE:-debug}
CC=${CC:-cc}
CFLAGS="-std=c99 -Wall -Wextra -Werror -pedantic -g"
# What a static Rust library needs from the system (`rustc --print native-static-libs`).
STATIC_LIBS="-lpthread -ldl -lm"

case $PROFILE in
    debug) CARGO_PROFILE_FLAG= ;;
    release) CARGO_PROFILE_FLAG=--release ;;
    *)
        echo "tests/c/run.sh: PROFILE must be debug or release, found '$PROFILE'" >&2
        exit 2
        ;;
esac

LIB_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE
OUT_DIR=$LIB_DIR/c-tests
SRC=$ROOT/tests/c
SPEC=$ROOT/spec/conformance

step() { printf '==> %s\n' "$*"; }

step "cargo build -p tasker-batch --lib $CARGO_PROFILE_FLAG"
(cd "$ROOT" && cargo build -p tasker-batch --lib $CARGO_PROFILE_FLAG)

mkdir -p "$OUT_DIR"
step "$CC: conformance against libtasker_batch.so"
# -L/-l picks the shared library when both are there.
$CC $CFLAGS -I"$ROOT/include" "$SRC/conformance.c" "$SRC/json.c" \
    -L"$LIB_DIR" -ltasker_batch -o "$OUT_DIR/conformance-shared"
step "$CC: conformance against libtasker_batch.a"
$CC $CFLAGS -I"$ROOT/include" "$SRC/conformance.c" "$SRC/json.c" \
    "$LIB_DIR/libtasker_batch.a" $STATIC_LIBS -o "$OUT_DIR/conformance-static"

# Run everything, then report: a failure in one build should not hide the others.
status=0
run() {
    step "$*"
    "$@" || status=1
}

SHARED_ENV="LD_LIBRARY_PATH=$LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
run env "$SHARED_ENV" "$OUT_DIR/conformance-shared" "$SPEC"
run "$OUT_DIR/conformance-static" "$SPEC"
if command -v valgrind >/dev/null 2>&1; then
    run env "$SHARED_ENV" valgrind --quiet --leak-check=full --error-exitcode=1 \
        "$OUT_DIR/conformance-shared" "$SPEC"
else
    step "valgrind is not installed: the memory check is skipped"
fi

if [ "$status" -ne 0 ]; then
    echo "tests/c/run.sh: FAILED (see above)" >&2
fi
exit "$status"
