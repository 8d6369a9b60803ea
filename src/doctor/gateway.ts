/**
 * The doctor's last question, asked and judged: does the gateway have our prefixes? Asked with a Request for those
 * entries (RFC 2453 §3.9.1, RFC 2080 §2.4.1: answered without split horizon), IPv4 prefixes by RIPv2
 * to an IPv4 gateway and IPv6 prefixes by RIPng to an IPv6 one (usually the link-local neighbour).
 */
import { runCommand } from "../host/exec.js";
import type { AuthConfig } from "../speaker/types.js";
import { encodeRipv2 } from "../speaker/updates.js";
import { query } from "../transport/passive.js";
import {
  formatIpv4,
  formatIpv6,
  maskToPrefixLength,
  parseIpv4,
  parseIpv6,
  prefixLengthToMask,
} from "../wire/address.js";
import { INFINITY_METRIC, RIPNG_VERSION } from "../wire/constants.js";
import * as ripng from "../wire/ripng.js";
import * as ripv2 from "../wire/ripv2.js";
import type { CheckResult, NeighborObservation } from "./checks.js";

type Family = "ipv4" | "ipv6";

/**
 * A Request for `prefixes` to the gateway of their family (RIPv2 or RIPng): `metrics` is prefix →
 * metric from its answer (absent: no answer); no `address`: no gateway of that family to ask.
 */
export interface GatewayObservation {
  family: "ipv4" | "ipv6";
  address?: string;
  prefixes: string[];
  metrics?: Record<string, number>;
  error?: string;
}

function requestFor(family: Family, prefixes: readonly string[], auth: AuthConfig): Uint8Array {
  const parts = prefixes.map((p) => {
    const [address, length] = p.split("/") as [string, string];
    return { address, length: Number(length) };
  });
  if (family === "ipv6") {
    const entries = parts.map((p) => ({
      prefix: parseIpv6(p.address),
      tag: 0,
      prefixLength: p.length,
      metric: INFINITY_METRIC,
    }));
    return ripng.encode({ command: "request", version: RIPNG_VERSION, entries });
  }
  const entries = parts.map((p) => ({
    afi: 2,
    tag: 0,
    address: parseIpv4(p.address),
    mask: prefixLengthToMask(p.length),
    nextHop: 0,
    metric: INFINITY_METRIC,
  }));
  return encodeRipv2("request", entries, auth, Math.floor(Date.now() / 1000));
}

/** prefix → metric from every answer; a malformed answer counts as none. */
function metricsOf(family: Family, answers: readonly Uint8Array[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const bytes of answers) {
    try {
      if (family === "ipv6")
        for (const e of ripng.decode(bytes).value.entries)
          metrics[`${formatIpv6(e.prefix)}/${e.prefixLength}`] = e.metric;
      else
        for (const e of ripv2.decode(bytes).value.entries)
          metrics[`${formatIpv4(e.address)}/${maskToPrefixLength(e.mask)}`] = e.metric;
    } catch {
      // a malformed answer is no answer
    }
  }
  return metrics;
}

/** Where to send from: the uplink's link-local address for a link-local gateway, else what routing picks. */
async function sourceFor(target: string, linkLocal: (iface: string) => string | undefined) {
  const [address, zone] = target.split("%") as [string, string | undefined];
  if (zone !== undefined && /^fe80:/i.test(address)) {
    const own = linkLocal(zone);
    return own && `${own}%${zone}`;
  }
  return runCommand("ip", ["route", "get", address]).then((o) => /src (\S+)/.exec(o)?.[1]);
}

async function ask(
  family: Family,
  target: string,
  prefixes: string[],
  auth: AuthConfig,
  linkLocal: (iface: string) => string | undefined,
): Promise<Record<string, number> | undefined> {
  const source = await sourceFor(target, linkLocal);
  if (!source) return undefined;
  // From a random port: the daemon holds the RIP port on this address and would take the answer.
  // Routers answer Requests from any port (RFC 2453 §3.9.1; FRR does; BIRD answers no specific ones).
  const { heard } = await query({
    family,
    target,
    source,
    request: requestFor(family, prefixes, auth),
    timeoutMs: 2000,
    quietMs: 200,
    from: "ephemeral",
  });
  return heard.length === 0
    ? undefined
    : metricsOf(
        family,
        heard.map((h) => h.bytes),
      );
}

export interface GatewayQuestion {
  /** --gateway: asked for its own family only. */
  given?: string;
  neighbors: readonly NeighborObservation[];
  /** The prefixes to ask about (the tap's, or every active one), both families mixed. */
  prefixes: readonly string[];
  auth: AuthConfig;
  /** An uplink's IPv6 link-local address (the daemon's status knows it). */
  linkLocal(iface: string): string | undefined;
}

async function defaultGateway(): Promise<string | undefined> {
  const out = await runCommand("ip", ["-4", "route", "show", "default"]).catch(() => "");
  return /default via (\S+)/.exec(out)?.[1];
}

/** Who to ask for `family`: --gateway, else a neighbour heard (link-local with its zone), else for IPv4 the default route's gateway. */
async function gatewayOf(family: Family, q: GatewayQuestion): Promise<string | undefined> {
  const v6 = family === "ipv6";
  if (q.given !== undefined && q.given.includes(":") === v6) return q.given;
  const heard = q.neighbors.find((n) => n.family === family && n.lastHeard !== null);
  if (heard)
    return v6 && !heard.address.includes("%") ? `${heard.address}%${heard.interface}` : heard.address;
  return v6 ? undefined : defaultGateway();
}

/** One observation per family we announce: the gateway asked and what it answered. */
export async function observeGateways(q: GatewayQuestion): Promise<GatewayObservation[]> {
  const out: GatewayObservation[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const prefixes = q.prefixes.filter((p) => p.includes(":") === (family === "ipv6"));
    if (prefixes.length === 0) continue;
    const address = await gatewayOf(family, q);
    if (address === undefined) {
      out.push({ family, prefixes });
      continue;
    }
    const auth = family === "ipv4" ? q.auth : ({ mode: "none" } as const);
    let error: string | undefined;
    const metrics = await ask(family, address, prefixes, auth, q.linkLocal).catch((e: Error) => {
      error = e.message;
      return undefined;
    });
    out.push({ family, address, prefixes, ...(metrics ? { metrics } : {}), ...(error ? { error } : {}) });
  }
  return out;
}

const PROTOCOL = { ipv4: "RIPv2", ipv6: "RIPng" } as const;
const EXAMPLE_GATEWAY = { ipv4: "192.0.2.1", ipv6: "fe80::1%eth0" } as const;

function result(status: CheckResult["status"], message: string, fix?: string): CheckResult {
  return { check: "gateway", status, message, ...(fix ? { fix } : {}) };
}

/** The gateway has each prefix asked about; why we cannot tell, when we cannot. */
export function checkGateway(gw: GatewayObservation): CheckResult[] {
  const about = gw.prefixes.join(", ");
  if (gw.address === undefined)
    return [
      result(
        "warn",
        `no ${PROTOCOL[gw.family]} neighbour heard to ask about ${about}`,
        `give one: riplet doctor --gateway ${EXAMPLE_GATEWAY[gw.family]}`,
      ),
    ];
  if (gw.error)
    return [
      result(
        "warn",
        `could not ask ${gw.address}: ${gw.error}`,
        "run riplet doctor as root, on the host itself",
      ),
    ];
  if (!gw.metrics) {
    return [
      result(
        "warn",
        `${gw.address} did not answer a ${PROTOCOL[gw.family]} Request for ${about} (BIRD answers no such Request, FRR no signed one)`,
        gw.family === "ipv4"
          ? "look on the gateway: FRR `show ip rip`, BIRD `birdc show route protocol rip4`"
          : "look on the gateway: FRR `show ipv6 ripng`, BIRD `birdc show route protocol rip6`",
      ),
    ];
  }
  return gw.prefixes.map((prefix) => {
    const metric = gw.metrics![prefix];
    if (metric !== undefined && metric < 16)
      return result("ok", `${gw.address} has ${prefix} (metric ${metric})`);
    return result(
      "fail",
      `${gw.address} does not have ${prefix}`,
      "check auth keys and versions on both sides: riplet status shows drops, the gateway's log shows why it refused",
    );
  });
}
