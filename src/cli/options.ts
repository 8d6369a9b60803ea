/** Parsers for option values shared by several commands; each throws UsageError with a one-line fix. */
import type { AuthConfig } from "../speaker/types.js";
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
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) {
    const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
    throw new UsageError(
      `--hex ${shown} is not hex: ${JSON.stringify(bad[0])} at digit ${bad.index + 1} is not 0-9 or a-f (spaces and colons are ignored)`,
    );
  }
  if (clean.length % 2 !== 0)
    throw new UsageError(`--hex: ${clean.length} hex digits, an odd number; each byte is two digits`);
  return Buffer.from(clean, "hex");
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** An integer option within bounds, e.g. `--metric 1-15`. */
export function parseInteger(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`${option} ${text}: must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export const AUTH_MODES = [
  "none",
  "simple",
  "md5",
  "hmac-sha1",
  "hmac-sha256",
  "hmac-sha384",
  "hmac-sha512",
] as const;

/**
 * `--auth MODE --key ...` into an interface auth config. Simple takes `--key SECRET` (16 bytes at most);
 * the crypto modes take one or more `--key ID:SECRET` (the first signs, all are accepted).
 */
export function parseAuth(
  mode: string | undefined,
  keyTexts: readonly string[],
  md5AuthLength?: 16 | 20,
): AuthConfig {
  if (!mode || mode === "none") {
    if (keyTexts.length > 0)
      throw new UsageError("--key needs --auth MODE (simple, md5, hmac-sha1/256/384/512)");
    return { mode: "none" };
  }
  if (!(AUTH_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--auth ${mode}: must be one of ${AUTH_MODES.join(", ")}`);
  }
  if (keyTexts.length === 0)
    throw new UsageError(`--auth ${mode} needs --key ${mode === "simple" ? "SECRET" : "ID:SECRET"}`);
  if (mode === "simple") {
    const password = Buffer.from(keyTexts[0]!, "utf8");
    if (password.length > 16)
      throw new UsageError("--key: a simple password is at most 16 bytes (RFC 2453 §4.1)");
    return { mode: "simple", password };
  }
  const keys = keyTexts.map((text) => {
    const key = parseKey(text);
    if (key.id === undefined)
      throw new UsageError(`--key ${text.replace(/./g, "*")}: ${mode} needs a key id: --key ID:SECRET`);
    if (mode === "md5" && key.secret.length > 16)
      throw new UsageError("--key: keyed-MD5 secrets are at most 16 bytes (RFC 2082)");
    return { id: key.id, secret: key.secret };
  });
  return { mode: mode as Exclude<AuthConfig["mode"], "none" | "simple">, keys, md5AuthLength };
}
