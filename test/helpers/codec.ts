/** Shared test helpers for the wire codecs. */
import { expect } from "vitest";

export interface Codec<T> {
  encode(value: T, buf?: Uint8Array, offset?: number): Uint8Array;
  decode(buf: Uint8Array, offset?: number, end?: number): { value: T; bytes: number };
  encodingLength(value: T): number;
}

/** encode → decode gives the value back, the byte count matches, and encoding at an offset works too. */
export function roundTrip<T>(codec: Codec<T>, value: T): Uint8Array {
  const bytes = codec.encode(value);
  expect(bytes.length).toBe(codec.encodingLength(value));
  const { value: back, bytes: used } = codec.decode(bytes);
  expect(back).toEqual(value);
  expect(used).toBe(bytes.length);
  const padded = new Uint8Array(bytes.length + 7);
  codec.encode(value, padded, 3);
  expect(padded.subarray(3, 3 + bytes.length)).toEqual(bytes);
  expect(codec.decode(padded, 3, 3 + bytes.length).value).toEqual(value);
  return bytes;
}

/** Hex written with spaces and `#` comments, one field per line, into bytes. */
export function hex(annotated: string): Uint8Array {
  const digits = annotated
    .split("\n")
    .map((line) => line.replace(/#.*$/, ""))
    .join("")
    .replace(/\s+/g, "");
  return Uint8Array.from(Buffer.from(digits, "hex"));
}
