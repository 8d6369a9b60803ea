/** Parsers for option values shared by several commands; each throws UsageError with a one-line fix. */
import type { AuthKey } from "../wire/auth.js";
import { UsageError } from "./io.js";

/**
 * `--key [ID:]SECRET`: "3:s3cret" is key id 3, "s3cret" matches any key id. A secret that itself
 * starts with digits and a colon needs the id written out ("0:12:ab" is id 0, secret "12:ab").
 */
export function parseKey(text: string): AuthKey {
  const match = /^(\d{1,3}):(.*)$/s.exec(text);
  if (match && Number(match[1]) <= 255) {
    if (match[2] === "") throw new UsageError(`--key ${text}: the secret after "${match[1]}:" is empty`);
    return { id: Number(match[1]), secret: Buffer.from(match[2]!, "utf8") };
  }
  if (text === "") throw new UsageError("--key needs a secret: --key SECRET or --key ID:SECRET");
  return { secret: Buffer.from(text, "utf8") };
}

/** Hex with optional spaces, colons or a 0x prefix, as copied from tcpdump -X or Wireshark. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/^0x/i, "").replace(/[\s:]/g, "");
  if (!/^[0-9a-fA-F]*$/.test(clean) || clean.length % 2 !== 0) {
    throw new UsageError("--hex must be an even number of hex digits (spaces and colons are ignored)");
  }
  return Buffer.from(clean, "hex");
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
