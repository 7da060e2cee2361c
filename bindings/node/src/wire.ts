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

/** The core's operations: name and one-line description each. */
export function operations(): Array<{ name: string; description: string }> {
  return JSON.parse(operationsText()) as Array<{ name: string; description: string }>;
}
