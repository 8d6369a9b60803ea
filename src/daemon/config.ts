/**
 * The daemon's config file (SPEC §4), YAML or JSON (JSON is YAML). Checked against a schema; every
 * error names the field, the line, and what is expected. Secrets never appear in an error.
 */
import { readFileSync, statSync } from "node:fs";
import * as v from "valibot";
import { DNSMASQ_MISSING_FIX, type GuestSettings } from "../guests/plan.js";
import { findDnsmasq } from "../guests/process.js";
import { type HealthCheck, healthCheckOf } from "../health/config.js";
import { AddressError, parseTapAddress } from "../host/addresses.js";
import { NextHopError, parseNextHop } from "../speaker/next-hop.js";
import { admitPrefix, type Policy } from "../speaker/policy.js";
import { type Prefix, PrefixError } from "../speaker/prefix.js";
import type { TriggeredMode } from "../speaker/schedule.js";
import type { RouteSpec } from "../speaker/table.js";
import type { AuthConfig, InterfaceConfig } from "../speaker/types.js";
import { interfaceNames } from "../transport/interfaces.js";
import { GARBAGE_COLLECTION_MS, ROUTE_TIMEOUT_MS, UPDATE_INTERVAL_MS } from "../wire/constants.js";
import { configSchema, type RawAuth, type RawConfig } from "./config-schema.js";
import { lineOf, type Parsed, parseText } from "./config-text.js";

export const DEFAULT_CONFIG_PATH = "/etc/riplet/riplet.yaml";
const DEFAULT_SOCKET_PATH = "/run/riplet/riplet.sock";
const DEFAULT_STATE_PATH = "/var/lib/riplet/state.json";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface DaemonConfig {
  interfaces: InterfaceConfig[];
  routes: RouteSpec[];
  allow?: Prefix[];
  allowDefault: boolean;
  timers: { updateMs: number; timeoutMs: number; garbageMs: number };
  triggered: TriggeredMode;
  withdrawOnExit: boolean;
  /** allowCommandChecks: routes announced over the socket may carry `check: { command }` (run as root). */
  control: { socket: string; mode: number; group?: string; allowCommandChecks: boolean };
  state: string;
  /** Per tap: its addresses and, overriding `guests`, whether its guests get DHCP and RAs. */
  taps: Record<string, TapConfig>;
  /** Addressing for the VMs behind the taps (SPEC §4 `guests`); default: off. */
  guests: GuestSettings;
  /** Health checks of config routes, by prefix: announced only while healthy. */
  checks: Map<string, HealthCheck>;
  /** While this file exists every route is withdrawn (maintenance). */
  maintenance?: string;
  /** Where to serve Prometheus metrics, if anywhere. */
  metrics?: { host: string; port: number };
  /** Bounds on what others can make the daemon hold (SPEC §4 `limits`). */
  limits: Limits;
}

/**
 * Everything a neighbour or a local client can make the daemon hold has a bound (issue 13). What a
 * bound refuses is dropped and counted by reason, never queued without end.
 */
export interface Limits {
  /** Routes remembered from neighbours, all together; one neighbour may hold at most half. */
  learnedRoutes: number;
  /** Neighbour records (address, interface, family); the least useful one is forgotten first. */
  neighbors: number;
  /** Control connections at once; one more is told BUSY and closed. */
  controlClients: number;
  /** Requests read but not yet answered, per connection; past it the connection is not read. */
  controlQueue: number;
  /** Reply bytes a client has not read yet; past it the connection is not read, at twice it cut off. */
  controlReplyBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  learnedRoutes: 10_000,
  neighbors: 256,
  controlClients: 256,
  controlQueue: 64,
  controlReplyBytes: 1024 * 1024,
};

interface TapConfig {
  addresses: string[];
  dhcp?: boolean;
  ra?: boolean;
}

/** Reads a secretFile; injected so parsing stays testable and the file I/O stays at the edge. */
export type SecretReader = (path: string) => string;

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, part) =>
      typeof part === "number" ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part),
    "",
  );
}

function fail(file: string, text: string, path: readonly PropertyKey[], message: string): never {
  const line = lineOf(text, path);
  throw new ConfigError(`${file}${line ? `:${line}` : ""}: ${fieldName(path) || "(top level)"}: ${message}`);
}

/** Whether dnsmasq is installed; injected so parsing stays testable. */
export type ToolCheck = () => boolean;
const dnsmasqInstalled: ToolCheck = () => findDnsmasq() !== undefined;

/**
 * `parse` turns the text into a plain value; the daemon passes parseTextIsolated so the YAML parser's
 * garbage stays out of its heap. `text` is read again only when an error must name a line.
 */
export function parseConfigText(
  text: string,
  file: string,
  readSecret: SecretReader,
  hasDnsmasq: ToolCheck = dnsmasqInstalled,
  parse: (text: string) => Parsed = parseText,
): DaemonConfig {
  const syntax = parse(text);
  if (!syntax.ok) {
    const { line, message } = syntax.fault;
    throw new ConfigError(`${file}:${line}: not valid YAML or JSON: ${message.split("\n")[0]}`);
  }
  const parsed = v.safeParse(configSchema, syntax.value ?? {});
  if (!parsed.success) {
    const issue = deepestIssue(parsed.issues.map(flatIssue));
    fail(file, text, issue.path, issue.message);
  }
  const failAt: Fail = (path, message) => fail(file, text, path, message);
  const config = normalize(parsed.output, failAt, readSecret);
  checkGuestTools(parsed.output, failAt, hasDnsmasq);
  return config;
}

/**
 * A config file as the daemon takes it at start and on reload, and as `riplet check` checks it: read,
 * parsed, its secret files read (`openSecret` hears of one that group or others can read), and every
 * uplink present. Throws ConfigError.
 */
export function loadConfigFile(
  file: string,
  openSecret: (path: string) => void,
  parse: (text: string) => Parsed = parseText,
): DaemonConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code}; give one with -c FILE`,
    );
  }
  const readSecret = (path: string): string => {
    if ((statSync(path).mode & 0o077) !== 0) openSecret(path);
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  };
  return checkUplinks(parseConfigText(text, file, readSecret, undefined, parse), text, file);
}

/**
 * Every uplink must exist when the daemon starts or reloads, and when `riplet check` runs: a typo'd
 * name would otherwise start "fine" and announce nothing (issue 16). Kept out of parseConfigText so
 * `doctor` and tests can still parse a config written for another host. Returns the config, so a
 * loader can wrap its parse in it.
 */
export function checkUplinks(
  config: DaemonConfig,
  text: string,
  file: string,
  existing: ReadonlySet<string> = interfaceNames(),
): DaemonConfig {
  config.interfaces.forEach((uplink, i) => {
    if (existing.has(uplink.name)) return;
    fail(
      file,
      text,
      ["interfaces", i, "name"],
      `uplink ${uplink.name} does not exist on this host; fix the name (\`ip -br link\` lists them) or create the interface first`,
    );
  });
  return config;
}

/** An issue with its path as plain keys; a union's issue keeps its branches' issues (paths relative to it). */
interface Issue {
  path: PropertyKey[];
  message: string;
  branches?: Issue[];
}

function flatIssue(issue: v.BaseIssue<unknown>): Issue {
  const path = (issue.path ?? []).map((item) => item.key as PropertyKey);
  return issue.type === "union" && issue.issues
    ? { path, message: issue.message, branches: issue.issues.map(flatIssue) }
    : { path, message: issue.message };
}

/**
 * For `ipv4: true | {…}` a bad object fails both branches and valibot reports the union's message at
 * ipv4; the useful message is the object branch's, deepest in the tree. A branch that fails at the
 * union's own path (e.g. "expected boolean") is not deeper, so the union's message stands.
 */
function deepestIssue(issues: readonly Issue[]): Issue {
  let best = issues[0]!;
  for (const issue of issues) {
    const candidates = issue.branches
      ? issue.branches.map((sub) => ({ ...sub, path: [...issue.path, ...sub.path] }))
      : [issue];
    for (const candidate of candidates) {
      const deep = candidate.branches ? deepestIssue([candidate]) : candidate;
      if (deep.path.length > best.path.length) best = deep;
    }
  }
  return best;
}

type Fail = (path: (string | number)[], message: string) => never;

function authConfig(
  raw: RawAuth | undefined,
  at: (string | number)[],
  failAt: Fail,
  readSecret: SecretReader,
): AuthConfig {
  if (!raw || raw.mode === "none") return { mode: "none" };
  const keys = (raw.keys ?? []).map((k, i) => {
    let secret: string;
    try {
      secret = k.secret ?? readSecret(k.secretFile!);
    } catch (error) {
      return failAt(
        [...at, "keys", i, "secretFile"],
        `cannot read ${k.secretFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    const bytes = Buffer.from(secret, "utf8");
    if (raw.mode !== "simple" && raw.mode !== "md5") return { id: k.id, secret: bytes };
    if (bytes.length > 16) failAt([...at, "keys", i], `a ${raw.mode} secret is at most 16 bytes`);
    return { id: k.id, secret: bytes };
  });
  if (keys.length === 0)
    failAt([...at, "keys"], `mode ${raw.mode} needs at least one key: keys: [{ id: 1, secret: ... }]`);
  if (raw.mode === "simple") return { mode: "simple", password: keys[0]!.secret };
  return { mode: raw.mode, keys, md5AuthLength: raw.md5AuthLength };
}

function interfaces(raw: RawConfig, failAt: Fail, readSecret: SecretReader): InterfaceConfig[] {
  const seen = new Set<string>();
  return raw.interfaces.map((i, n) => {
    if (seen.has(i.name)) failAt(["interfaces", n, "name"], `${i.name} is listed twice`);
    seen.add(i.name);
    const out: InterfaceConfig = { name: i.name };
    if (i.ipv4 !== false) {
      const v4 = typeof i.ipv4 === "object" ? i.ipv4 : {};
      out.ipv4 = {
        auth: authConfig(v4.auth, ["interfaces", n, "ipv4", "auth"], failAt, readSecret),
        neighbors: v4.neighbors ?? [],
        multicast: v4.multicast ?? true,
      };
    }
    if (i.ipv6 !== false) {
      const v6 = typeof i.ipv6 === "object" ? i.ipv6 : {};
      out.ipv6 = { neighbors: v6.neighbors ?? [], multicast: v6.multicast ?? true };
    }
    return out;
  });
}

function prefixAt(text: string, at: (string | number)[], failAt: Fail, policy: Policy): Prefix {
  try {
    return admitPrefix(text, policy);
  } catch (error) {
    if (error instanceof PrefixError) return failAt(at, error.message);
    throw error;
  }
}

/** The same next-hop rule as the control socket and the state file (speaker/next-hop.ts). */
function nextHopAt(text: string, prefix: Prefix, at: (string | number)[], failAt: Fail): string {
  try {
    return parseNextHop(text, prefix.family);
  } catch (error) {
    if (error instanceof NextHopError) return failAt(at, error.reason);
    throw error;
  }
}

/** taps.<ifname>.addresses, parsed as the hooks parse them, so a bad one fails `riplet check`. */
function checkTapAddresses(taps: RawConfig["taps"], failAt: Fail): void {
  for (const [name, tap] of Object.entries(taps ?? {})) {
    for (const [i, text] of tap.addresses.entries()) {
      try {
        parseTapAddress(text);
      } catch (error) {
        if (error instanceof AddressError) failAt(["taps", name, "addresses", i], error.message);
        throw error;
      }
    }
  }
}

/** Guest addressing asked for anywhere needs dnsmasq: refused at load, with the line that fixes it. */
function checkGuestTools(raw: RawConfig, failAt: Fail, hasDnsmasq: ToolCheck): void {
  const wanted: (string | number)[][] = [];
  if (raw.guests?.dhcp) wanted.push(["guests", "dhcp"]);
  if (raw.guests?.ra) wanted.push(["guests", "ra"]);
  for (const [name, tap] of Object.entries(raw.taps ?? {})) {
    if (tap.dhcp) wanted.push(["taps", name, "dhcp"]);
    if (tap.ra) wanted.push(["taps", name, "ra"]);
  }
  if (wanted.length > 0 && !hasDnsmasq())
    failAt(wanted[0]!, `guest addressing needs dnsmasq, which is not installed; ${DNSMASQ_MISSING_FIX}`);
}

function configRoutes(raw: RawConfig, failAt: Fail, policy: Policy): RouteSpec[] {
  return (raw.routes ?? []).map((r, i) => {
    const prefix = prefixAt(r.prefix, ["routes", i, "prefix"], failAt, policy);
    const nextHop = r.nextHop ? nextHopAt(r.nextHop, prefix, ["routes", i, "nextHop"], failAt) : undefined;
    // one shape for every route (absent = undefined): see record() in speaker/table.ts
    return { prefix, metric: r.metric ?? 1, tag: r.tag ?? 0, nextHop, owner: r.owner || undefined };
  });
}

function normalize(raw: RawConfig, failAt: Fail, readSecret: SecretReader): DaemonConfig {
  const allowDefault = raw.allowDefault ?? false;
  const allow = raw.allow?.map((p, i) => prefixAt(p, ["allow", i], failAt, { allowDefault: true }));
  const policy: Policy = { allow, allowDefault };
  const routes = configRoutes(raw, failAt, policy);
  checkTapAddresses(raw.taps, failAt);
  return {
    interfaces: interfaces(raw, failAt, readSecret),
    routes,
    allow,
    allowDefault,
    timers: {
      updateMs: (raw.timers?.update ?? UPDATE_INTERVAL_MS / 1000) * 1000,
      timeoutMs: (raw.timers?.timeout ?? ROUTE_TIMEOUT_MS / 1000) * 1000,
      garbageMs: (raw.timers?.garbage ?? GARBAGE_COLLECTION_MS / 1000) * 1000,
    },
    triggered: raw.triggered?.mode ?? "fast",
    withdrawOnExit: raw.withdrawOnExit ?? true,
    control: {
      socket: raw.control?.socket ?? DEFAULT_SOCKET_PATH,
      mode: Number.parseInt(raw.control?.mode ?? "0600", 8),
      ...(raw.control?.group ? { group: raw.control.group } : {}),
      allowCommandChecks: raw.control?.allowCommandChecks ?? false,
    },
    state: raw.state ?? DEFAULT_STATE_PATH,
    taps: raw.taps ?? {},
    guests: { dhcp: raw.guests?.dhcp ?? false, ra: raw.guests?.ra ?? false, dns: raw.guests?.dns ?? [] },
    checks: new Map(
      (raw.routes ?? []).flatMap((r, i) =>
        r.check ? [[routes[i]!.prefix.text, healthCheckOf(r.check)] as const] : [],
      ),
    ),
    ...(raw.maintenance ? { maintenance: raw.maintenance } : {}),
    ...(raw.metrics ? { metrics: listenAddress(raw.metrics.listen) } : {}),
    limits: { ...DEFAULT_LIMITS, ...raw.limits },
  };
}

/** "127.0.0.1:9520" / "[::1]:9520" → host and port (the schema checked the shape). */
function listenAddress(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(":");
  return { host: text.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(text.slice(at + 1)) };
}
