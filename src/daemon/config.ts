/**
 * The daemon's config file (SPEC §4), YAML or JSON (JSON is YAML). Checked against a schema; every
 * error names the field, the line, and what is expected. Secrets never appear in an error. What the
 * schema cannot check field by field, and the defaults, are config-normalize.ts's.
 */
import { readFileSync, statSync } from "node:fs";
import * as v from "valibot";
import type { GuestSettings } from "../guests/plan.js";
import { findDnsmasq } from "../guests/process.js";
import type { HealthCheck } from "../health/config.js";
import type { Prefix } from "../speaker/prefix.js";
import type { TriggeredMode } from "../speaker/schedule.js";
import type { RouteSpec } from "../speaker/table.js";
import type { InterfaceConfig } from "../speaker/types.js";
import { interfaceNames } from "../transport/interfaces.js";
import { checkGuestTools, type Fail, normalize } from "./config-normalize.js";
import { configSchema } from "./config-schema.js";
import { lineOf, type Parsed, parseText } from "./config-text.js";

export const DEFAULT_CONFIG_PATH = "/etc/riplet/riplet.yaml";

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
 * bound refuses is dropped and counted by reason, never queued without end. Defaults: DEFAULT_LIMITS
 * (config-normalize.ts).
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
