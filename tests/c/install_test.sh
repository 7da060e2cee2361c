#!/bin/sh
# The installed C library, used as a C user would: from a directory outside the repository,
# with nothing but pkg-config to find it.
#
#   sh tests/c/install_test.sh PREFIX PROGRAM.c
#
# PREFIX is where `rake install:c PREFIX=...` installed the library (rake test:install_c
# makes a temporary one). Checks the files and links, the SONAME, that the program records
# the SONAME (not a path) as NEEDED, and that it runs with only PREFIX/lib on the loader path.
set -eu

PREFIX=$1
SOURCE=$2
LIBDIR=$PREFIX/lib
CC=${CC:-cc}
VERSION=$(sed -n 's/^Version: //p' "$LIBDIR/pkgconfig/tasker_batch.pc")
MAJOR=${VERSION%%.*}

fail() { echo "tests/c/install_test.sh: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }

step "installed files under $PREFIX"
for f in "include/tasker_batch.h" "lib/libtasker_batch.a" "lib/libtasker_batch.so.$VERSION" "lib/pkgconfig/tasker_batch.pc"; do
    [ -f "$PREFIX/$f" ] || fail "missing $PREFIX/$f"
done
[ "$(readlink "$LIBDIR/libtasker_batch.so.$MAJOR")" = "libtasker_batch.so.$VERSION" ] ||
    fail "libtasker_batch.so.$MAJOR does not link to libtasker_batch.so.$VERSION"
[ "$(readlink "$LIBDIR/libtasker_batch.so")" = "libtasker_batch.so.$MAJOR" ] ||
    fail "libtasker_batch.so does not link to libtasker_batch.so.$MAJOR"
ls -l "$LIBDIR" | sed 's/^/    /'

step "SONAME"
soname=$(readelf -d "$LIBDIR/libtasker_batch.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libtasker_batch.so.$MAJOR" ] || fail "SONAME is '$soname', expected libtasker_batch.so.$MAJOR"
echo "    $soname"
if readelf -S -W "$LIBDIR/libtasker_batch.so.$VERSION" | grep -Eq '\.debug_|\.symtab'; then
    fail "the shared library is not stripped"
fi
nm -g --defined-only "$LIBDIR/libtasker_batch.a" 2>/dev/null | grep -q ' T tasker_batch_call$' ||
    fail "the static library does not define tasker_batch_call"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$SOURCE" "$WORK/program.c"
cd "$WORK"

step "$CC program.c \$(pkg-config --cflags --libs tasker_batch), in $WORK"
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
# shellcheck disable=SC2046 # pkg-config's output is a list of words
$CC -std=c99 -Wall -Wextra -Werror -pedantic program.c $(pkg-config --cflags --libs tasker_batch) -o program

step "NEEDED"
needed=$(readelf -d program | sed -n 's/.*(NEEDED).*\[\(libtasker_batch[^]]*\)\]/\1/p')
[ "$needed" = "libtasker_batch.so.$MAJOR" ] || fail "the program needs '$needed', expected libtasker_batch.so.$MAJOR"
if readelf -d program | grep -Eq '\((RPATH|RUNPATH)\)'; then fail "the program records a library path"; fi
echo "    $needed"

step "run with LD_LIBRARY_PATH=$LIBDIR only"
env -u LD_LIBRARY_PATH -u LD_PRELOAD LD_LIBRARY_PATH="$LIBDIR" ./program >output.txt ||
    { cat output.txt; fail "the program failed"; }
resolved=$(env -u LD_LIBRARY_PATH LD_LIBRARY_PATH="$LIBDIR" ldd ./program | sed -n 's/.*libtasker_batch[^ ]* => \([^ ]*\).*/\1/p')
[ "$resolved" = "$LIBDIR/libtasker_batch.so.$MAJOR" ] || fail "the loader found '$resolved', expected $LIBDIR/libtasker_batch.so.$MAJOR"
sed 's/^/    /' output.txt | head -5
echo "tests/c/install_test.sh: ok ($(wc -c <"$LIBDIR/libtasker_batch.so.$VERSION") bytes shared, $(wc -c <"$LIBDIR/libtasker_batch.a") bytes static)"
