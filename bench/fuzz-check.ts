/**
 * What a fuzz target is, and what counts as a finding (issue #7). A target runs one input and returns,
 * or throws: any throw is a finding, either an exception the code under test let out (a non-WireError
 * from a decoder, anything at all from the inbound path) or a FuzzFinding for a broken invariant.
 */
import { createHash } from "node:crypto";
import type { Arbitrary } from "fast-check";
import { WireError } from "../src/wire/errors.js";

export class FuzzFinding extends Error {
  override readonly name = "FuzzFinding";
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

/** Throws a FuzzFinding unless `holds`; `detail` is only built when it does not. */
export function check(holds: boolean, invariant: string, detail: () => string): void {
  if (!holds) throw new FuzzFinding(invariant, detail());
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** Runs `fn`, turning a WireError into an outcome; anything else it throws goes on up (a finding). */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (error instanceof WireError) return { ok: false, error };
    throw error;
  }
}

/** A target with its input type erased, so targets of different inputs fit in one list. */
export interface FuzzTarget {
  readonly name: string;
  readonly input: Arbitrary<unknown>;
  /** Runs one input: returns, or throws a finding. */
  run(input: unknown): void;
  /** The fixture bytes of an input, and back. */
  toBytes(input: unknown): Uint8Array;
  fromBytes(bytes: Uint8Array): unknown;
}

export interface TypedTarget<I> {
  name: string;
  input: Arbitrary<I>;
  run(input: I): void;
  toBytes(input: I): Uint8Array;
  fromBytes(bytes: Uint8Array): I;
}

export function target<I>(t: TypedTarget<I>): FuzzTarget {
  return t as unknown as FuzzTarget;
}

/** `<target>-<sha1-8>.bin`: the first 8 hex digits of the SHA-1 of the fixture's bytes. */
export function fixtureName(targetName: string, bytes: Uint8Array): string {
  return `${targetName}-${createHash("sha1").update(bytes).digest("hex").slice(0, 8)}.bin`;
}

export const FIXTURE_NAME = /^(.+)-([0-9a-f]{8})\.bin$/;

/**
 * What makes two findings the same bug: the broken invariant, or the exception's class, WireError code
 * and the first stack frame in src/. Used to keep one fixture per bug, not one per input.
 */
export function signature(targetName: string, error: unknown): string {
  if (error instanceof FuzzFinding) return `${targetName}: ${error.invariant}`;
  if (!(error instanceof Error)) return `${targetName}: threw ${typeof error}`;
  const code = error instanceof WireError ? ` ${error.code}` : "";
  const frame = error.stack?.split("\n").find((line) => /[/\\]src[/\\]/.test(line)) ?? "";
  const where = frame.match(/([^/\\]+\.[jt]s):(\d+)/);
  return `${targetName}: ${error.name}${code}${where ? ` at ${where[1]}:${where[2]}` : ""}`;
}
