// The shared library (include/tasker_batch.h) through koffi. Found, in this order:
// - $TASKER_BATCH_LIB, the path of the library;
// - the package's own copy, native/<platform>-<arch>/ (what `npm pack` puts in the tarball);
// - in a checkout of the repository, target/debug then target/release (under $CARGO_TARGET_DIR).
// It is loaded on the first call, so that requiring the package never fails.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as koffi from 'koffi';

import { TaskerBatchError } from './errors';

const LIBRARY_ENV = 'TASKER_BATCH_LIB';
const PACKAGE_ROOT = path.resolve(__dirname, '..');

function libraryFileName(): string {
  if (process.platform === 'darwin') return 'libtasker_batch.dylib';
  if (process.platform === 'win32') return 'tasker_batch.dll';
  return 'libtasker_batch.so';
}

/** Where the package keeps the library built for this platform. */
export function bundledLibraryPath(): string {
  return path.join(PACKAGE_ROOT, 'native', `${process.platform}-${process.arch}`, libraryFileName());
}

/** The shared library this package loads (or would load). */
export function libraryPath(): string {
  const fromEnv = process.env[LIBRARY_ENV];
  if (fromEnv) return fromEnv;
  const bundled = bundledLibraryPath();
  if (fs.existsSync(bundled)) return bundled;
  const target = process.env.CARGO_TARGET_DIR || path.resolve(PACKAGE_ROOT, '..', '..', 'target');
  const builds = ['debug', 'release'].map((profile) => path.join(target, profile, libraryFileName()));
  return builds.find((file) => fs.existsSync(file)) ?? bundled;
}

interface Library {
  call(op: string, input: string): string | null;
  version(): string;
  operations(): string;
}

let loaded: Library | null = null;

function library(): Library {
  if (loaded !== null) return loaded;
  const file = libraryPath();
  let lib: koffi.LibraryHandle;
  try {
    lib = koffi.load(file);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new TaskerBatchError(
      'library_not_found',
      '',
      `cannot load the tasker-batch native library ${file} (${reason}). This package carries it for the ` +
        `platforms it was packed on; for ${process.platform}-${process.arch}, build it from the tasker-batch ` +
        `repository with \`cargo build --release -p tasker-batch --lib\` (cargo comes with Rust: https://rustup.rs) ` +
        `and set ${LIBRARY_ENV} to the library's path.`,
    );
  }
  // The envelope comes back as an opaque pointer, read with koffi.decode.string and released in
  // a `finally` with tasker_batch_free_string (C's free() must never see it). A `disposable`
  // return type does the same inside koffi, but costs a JS call back per crossing (about
  // 0.1 µs of a 1 µs call, docs/performance.md "Node").
  const freeString = lib.func('void tasker_batch_free_string(void *s)');
  const call = lib.func('void *tasker_batch_call(const char *op, const char *input_json)');
  const version = lib.func('const char *tasker_batch_version(void)');
  const operations = lib.func('const char *tasker_batch_operations(void)');
  loaded = {
    call: (op, input) => {
      const pointer: unknown = call(op, input);
      if (pointer === null) return null;
      try {
        return koffi.decode.string(pointer);
      } finally {
        freeString(pointer);
      }
    },
    version: () => version() as string,
    operations: () => operations() as string,
  };
  return loaded;
}

/**
 * Sends JSON `text` to the operation `op` and returns the envelope text as the core wrote it.
 * Throws a TypeError only for text a C string cannot carry (U+0000, a lone surrogate).
 */
export function callNative(op: string, text: string): string {
  return callEncoded(cString(op, 'op'), cString(text, 'text'));
}

/**
 * callNative for text the package's encoder wrote, which holds neither U+0000 nor a lone
 * surrogate (JSON escapes the one, the encoder refuses the other): no second scan of the text.
 */
export function callEncoded(op: string, text: string): string {
  const envelope = library().call(op, text);
  if (envelope === null) throw new TaskerBatchError('internal_error', '', 'tasker_batch_call returned NULL');
  return envelope;
}

/** The library's version, "MAJOR.MINOR.PATCH". */
export function version(): string {
  return library().version();
}

/** The operations the library knows, as its static JSON list says. */
export function operationsText(): string {
  return library().operations();
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function cString(text: string, name: string): string {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string, found ${typeof text}`);
  // koffi would pass only the part before a NUL, and a lone surrogate as U+FFFD.
  if (text.includes('\0')) throw new TypeError(`${name} contains U+0000, which a C string cannot carry`);
  if (LONE_SURROGATE.test(text)) throw new TypeError(`${name} contains a lone surrogate, which UTF-8 cannot carry`);
  return text;
}
