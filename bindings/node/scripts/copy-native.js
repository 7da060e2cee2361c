'use strict';
// Copies the shared library into native/<platform>-<arch>/ so that `npm pack` ships it (run by
// `prepack`). The library is $TASKER_BATCH_LIB, else the repository's target/release build, else
// its target/debug build (under $CARGO_TARGET_DIR when set). `--clean` (run by `postpack`)
// removes the copy again, so that the checkout keeps loading the library cargo last built.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE = path.resolve(__dirname, '..');
if (process.argv.includes('--clean')) {
  fs.rmSync(path.join(PACKAGE, 'native'), { recursive: true, force: true });
  process.exit(0);
}
const NAME = { darwin: 'libtasker_batch.dylib', win32: 'tasker_batch.dll' }[process.platform] || 'libtasker_batch.so';
const target = process.env.CARGO_TARGET_DIR || path.resolve(PACKAGE, '..', '..', 'target');
const candidates = [process.env.TASKER_BATCH_LIB, path.join(target, 'release', NAME), path.join(target, 'debug', NAME)].filter(Boolean);
const source = candidates.find((file) => fs.existsSync(file));
if (!source) {
  console.error(
    `copy-native: no ${NAME} found (looked at ${candidates.join(', ')}).\n` +
      'Build it first: `cargo build --release -p tasker-batch --lib` (cargo comes with Rust: https://rustup.rs), ' +
      'or set TASKER_BATCH_LIB to the library to pack.',
  );
  process.exit(1);
}
const dir = path.join(PACKAGE, 'native', `${process.platform}-${process.arch}`);
fs.rmSync(path.join(PACKAGE, 'native'), { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const copy = path.join(dir, NAME);
fs.copyFileSync(source, copy);
// Cargo's profiles keep debug info (10 MB of a release build's 11); the package needs none.
// Without a `strip` (binutils) the copy ships as it is.
const stripped = process.platform === 'linux' && spawnSync('strip', ['--strip-debug', copy]).status === 0;
console.log(`copy-native: ${source} -> ${path.relative(PACKAGE, copy)}${stripped ? ' (debug info stripped)' : ''}`);
