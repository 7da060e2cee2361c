// The analyzer's partitioners: every one is the core's `partition` operation, so the arithmetic
// (ceil division, no empty trailing range, 128-bit UUIDs, RFC 3339 spans) is the core's.

import { call, CallOptions } from './call';
import type { PartitionRequest, RustCursorConfig } from './types';

/** Splits a key space into cursor configs with ids "001", "002", … (see PartitionRequest). */
export function partition(request: PartitionRequest, options?: CallOptions): RustCursorConfig[] {
  return call<RustCursorConfig[]>('partition', request, options);
}

/** `[start, start + totalItems)` over `workerCount` workers: 1000 over 3 is 334/334/332; 0 items is []. */
export function partitionByCount(totalItems: number | bigint, workerCount: number, start: number | bigint = 0, options?: CallOptions): RustCursorConfig[] {
  return partition({ strategy: 'integer_by_count', total_items: totalItems, worker_count: workerCount, start }, options);
}

/** Ranges of `batchSize` items (the last shorter); with `maxBatches` the ranges grow instead of passing that count. */
export function partitionBySize(
  totalItems: number | bigint,
  batchSize: number,
  maxBatches?: number,
  start: number | bigint = 0,
  options?: CallOptions,
): RustCursorConfig[] {
  const request: PartitionRequest = { strategy: 'integer_by_size', total_items: totalItems, batch_size: batchSize, start };
  if (maxBatches !== undefined) request.max_batches = maxBatches;
  return partition(request, options);
}

/** `count` equal UUID ranges of `[start, end)` (default: the whole UUID space; an open end is null). */
export function partitionUuids(count: number, range: { start?: string; end?: string | null; totalItems?: number } = {}, options?: CallOptions): RustCursorConfig[] {
  const request: PartitionRequest = { strategy: 'uuid', count };
  if (range.start !== undefined) request.start = range.start;
  if (range.end !== undefined) request.end = range.end;
  if (range.totalItems !== undefined) request.total_items = range.totalItems;
  return partition(request, options);
}

/** `[start, end)` (RFC 3339) in `count` equal spans or steps of `stepSeconds`; RFC 3339 UTC out. */
export function partitionTimestamps(
  start: string,
  end: string,
  split: { count: number; totalItems?: number } | { stepSeconds: number; totalItems?: number },
  options?: CallOptions,
): RustCursorConfig[] {
  const request: PartitionRequest = { strategy: 'timestamp', start, end };
  if ('count' in split) request.count = split.count;
  else request.step_seconds = split.stepSeconds;
  if (split.totalItems !== undefined) request.total_items = split.totalItems;
  return partition(request, options);
}

/** Ranges between the caller's boundaries `[b0, b1), [b1, b2), …` (any JSON; null first or last is an open end). */
export function partitionBoundaries(boundaries: readonly unknown[], totalItems?: number, options?: CallOptions): RustCursorConfig[] {
  const request: PartitionRequest = { strategy: 'boundaries', boundaries };
  if (totalItems !== undefined) request.total_items = totalItems;
  return partition(request, options);
}
