// The JSON the package speaks, for callers that hold JSON themselves.

import { decode, encode, JsonValue } from './json';
import { operationsText } from './native';

/** JSON.parse, with integers outside Number's safe range as BigInt. */
export function parse(text: string): JsonValue {
  return decode(text);
}

/** Compact JSON that writes a BigInt as its digits and throws ValidationError (with the path) for what JSON cannot carry. */
export function stringify(value: unknown): string {
  return encode(value);
}

/** The names of the core's operations (docs/operations.md describes each). */
export function operations(): string[] {
  return JSON.parse(operationsText()) as string[];
}
