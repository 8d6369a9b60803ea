/**
 * What each tap's guest server was started with, one file per tap under `<state dir>/guests/`, next
 * to its lease file: a restarted daemon reads them back to take over (or restart) the servers of taps
 * that still exist. Read as hostile input: anything that does not check out is skipped and named.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { IFNAME, parseTapAddress, type TapAddress } from "../host/addresses.js";
import type { GuestFiles, GuestSettings } from "./plan.js";

export interface GuestRecord {
  ifname: string;
  addresses: TapAddress[];
  settings: GuestSettings;
}

export interface TapFiles extends GuestFiles {
  record: string;
  log: string;
}

const MAX_RECORD_BYTES = 16 * 1024;
export const MAX_DNS_SERVERS = 8;

export function tapFiles(dir: string, ifname: string): TapFiles {
  const base = join(dir, ifname);
  return { record: `${base}.json`, leases: `${base}.leases`, pid: `${base}.pid`, log: `${base}.log` };
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Written to a temp name and renamed: a crash leaves the old record or the new one, never half. */
export function writeRecord(dir: string, record: GuestRecord): void {
  ensureDir(dir);
  const file = tapFiles(dir, record.ifname).record;
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const saved = {
    ifname: record.ifname,
    addresses: record.addresses.map((a) => a.cidr),
    settings: record.settings,
  };
  writeFileSync(temp, `${JSON.stringify(saved)}\n`, { mode: 0o600, flag: "wx" });
  renameSync(temp, file);
}

export function removeRecord(dir: string, ifname: string): void {
  const files = tapFiles(dir, ifname);
  // the lease file stays: the same VM started again on this tap gets its address back
  for (const file of [files.record, files.pid, files.log]) rmSync(file, { force: true });
}

function parseRecord(text: string, ifname: string): GuestRecord {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw.ifname !== ifname) throw new Error(`names ${JSON.stringify(raw.ifname)}, not ${ifname}`);
  const settings = raw.settings as Record<string, unknown> | undefined;
  if (typeof settings?.dhcp !== "boolean" || typeof settings.ra !== "boolean")
    throw new Error("settings.dhcp and settings.ra must be true or false");
  const dns = settings.dns ?? [];
  if (
    !Array.isArray(dns) ||
    dns.length > MAX_DNS_SERVERS ||
    !dns.every((a) => typeof a === "string" && isIP(a))
  )
    throw new Error(`settings.dns must be at most ${MAX_DNS_SERVERS} IP addresses`);
  if (!Array.isArray(raw.addresses) || raw.addresses.length > 32)
    throw new Error("addresses must be a list of at most 32 CIDRs");
  const addresses = raw.addresses.map((a) => parseTapAddress(String(a)));
  return { ifname, addresses, settings: { dhcp: settings.dhcp, ra: settings.ra, dns: dns as string[] } };
}

/** Every record in the directory; `problems` names each one skipped and why. */
export function readRecords(dir: string): { records: GuestRecord[]; problems: string[] } {
  const records: GuestRecord[] = [];
  const problems: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return { records, problems };
  }
  for (const name of names) {
    const ifname = name.slice(0, -".json".length);
    const file = join(dir, name);
    try {
      if (!IFNAME.test(ifname)) throw new Error("not named after an interface");
      const text = readFileSync(file, "utf8");
      if (text.length > MAX_RECORD_BYTES) throw new Error(`larger than ${MAX_RECORD_BYTES} bytes`);
      records.push(parseRecord(text, ifname));
    } catch (error) {
      problems.push(`${file}: skipped: ${(error as Error).message}`);
    }
  }
  return { records, problems };
}
