/**
 * A config file that passed its schema (config-schema.ts) made into the DaemonConfig the daemon runs:
 * defaults filled in, secret files read, and the checks the schema cannot make field by field (the
 * prefix policy, next hop vs. prefix family, tap addresses, dnsmasq for guest addressing). Split from
 * config.ts, which reads the text and turns every fault into an error naming the field and line.
 */
import { DNSMASQ_MISSING_FIX } from "../guests/plan.js";
import { healthCheckOf } from "../health/config.js";
import { AddressError, parseTapAddress } from "../host/addresses.js";
import { NextHopError, parseNextHop } from "../speaker/next-hop.js";
import { admitPrefix, type Policy } from "../speaker/policy.js";
import { type Prefix, PrefixError } from "../speaker/prefix.js";
import type { RouteSpec } from "../speaker/table.js";
import type { AuthConfig, InterfaceConfig } from "../speaker/types.js";
import { GARBAGE_COLLECTION_MS, ROUTE_TIMEOUT_MS, UPDATE_INTERVAL_MS } from "../wire/constants.js";
import type { DaemonConfig, Limits, SecretReader, ToolCheck } from "./config.js";
import type { RawAuth, RawConfig } from "./config-schema.js";

const DEFAULT_SOCKET_PATH = "/run/riplet/riplet.sock";
const DEFAULT_STATE_PATH = "/var/lib/riplet/state.json";

export const DEFAULT_LIMITS: Limits = {
  learnedRoutes: 10_000,
  neighbors: 256,
  controlClients: 256,
  controlQueue: 64,
  controlReplyBytes: 1024 * 1024,
};

/** Fails the load at a field: config.ts's error, naming the field, its line and `message`. */
export type Fail = (path: (string | number)[], message: string) => never;

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
export function checkGuestTools(raw: RawConfig, failAt: Fail, hasDnsmasq: ToolCheck): void {
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

export function normalize(raw: RawConfig, failAt: Fail, readSecret: SecretReader): DaemonConfig {
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
