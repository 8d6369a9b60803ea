/** Gathers what `riplet doctor` judges: the daemon's view, interfaces, sysctls, firewall, the gateway. */
import { existsSync, readFileSync } from "node:fs";
import { callDaemon } from "../control/client.js";
import type { DaemonConfig } from "../daemon/config.js";
import type { GuestReport } from "../guests/servers.js";
import { runCommand } from "../host/exec.js";
import type { AuthConfig } from "../speaker/types.js";
import { encodeRipv2 } from "../speaker/updates.js";
import { isUp } from "../transport/interfaces.js";
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
import type { LinkObservation, NeighborObservation, Observations } from "./checks.js";
import { type GuestObservation, observeSockets } from "./guests.js";

function readSysctl(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "missing";
  }
}

/**
 * From `ip -j addr`: os.networkInterfaces() leaves out interfaces without carrier, and a VM's tap has
 * none until the guest's NIC is up, yet its addresses are what we need to see.
 */
async function observeLink(name: string): Promise<LinkObservation> {
  const exists = existsSync(`/sys/class/net/${name}`);
  const out = exists ? await runCommand("ip", ["-j", "addr", "show", "dev", name]).catch(() => "[]") : "[]";
  const info = (
    JSON.parse(out) as { addr_info?: { local: string; prefixlen: number; scope: string }[] }[]
  )[0];
  const addresses = (info?.addr_info ?? [])
    .filter((a) => a.scope !== "link" && a.scope !== "host")
    .map((a) => `${a.local}/${a.prefixlen}`);
  return { name, exists, up: isUp(name), addresses };
}

/** Rules that drop or reject UDP 520/521, and drop policies with no accept for them. */
export function firewallDrops(ruleset: string): string[] {
  const lines = ruleset.split("\n").map((l) => l.trim());
  const rip = (l: string) => /\b52[01]\b/.test(l);
  const drops = lines.filter((l) => rip(l) && /\b(drop|reject|DROP|REJECT)\b/.test(l));
  const accepts = lines.some((l) => rip(l) && /\b(accept|ACCEPT)\b/.test(l));
  const policies = lines.filter((l) => /hook input .*policy drop|^:INPUT DROP/.test(l));
  if (!accepts) drops.push(...policies.map((p) => `${p} (and no rule accepts udp 520/521)`));
  return drops;
}

async function observeFirewall(): Promise<Observations["firewall"]> {
  const nft = await runCommand("nft", ["list", "ruleset"]).catch(() => undefined);
  if (nft !== undefined) return { tool: "nft", drops: firewallDrops(nft) };
  const ipt = await runCommand("iptables-save", []).catch(() => undefined);
  const ip6t = await runCommand("ip6tables-save", []).catch(() => "");
  if (ipt !== undefined) return { tool: "iptables", drops: firewallDrops(`${ipt}\n${ip6t}`) };
  return undefined;
}

async function defaultGateway(): Promise<string | undefined> {
  const out = await runCommand("ip", ["-4", "route", "show", "default"]).catch(() => "");
  return /default via (\S+)/.exec(out)?.[1];
}

/** RFC 2453 §3.9.1: a Request for specific entries is answered without split horizon. */
async function askGateway(
  address: string,
  prefixes: string[],
  auth: AuthConfig,
): Promise<Record<string, number> | undefined> {
  const v6 = address.includes(":");
  const wanted = prefixes.filter((p) => p.includes(":") === v6);
  if (wanted.length === 0) return {};
  let request: Uint8Array;
  if (v6) {
    const entries = wanted.map((p) => ({
      prefix: parseIpv6(p.split("/")[0]!),
      tag: 0,
      prefixLength: Number(p.split("/")[1]),
      metric: INFINITY_METRIC,
    }));
    request = ripng.encode({ command: "request", version: RIPNG_VERSION, entries });
  } else {
    const entries = wanted.map((p) => ({
      afi: 2,
      tag: 0,
      address: parseIpv4(p.split("/")[0]!),
      mask: prefixLengthToMask(Number(p.split("/")[1])),
      nextHop: 0,
      metric: INFINITY_METRIC,
    }));
    request = encodeRipv2("request", entries, auth, Math.floor(Date.now() / 1000));
  }
  const source = await runCommand("ip", ["route", "get", address.replace(/%.*$/, "")]).then(
    (o) => /src (\S+)/.exec(o)?.[1],
  );
  if (!source) return undefined;
  // From a random port: the daemon holds the RIP port on this address and would take the answer.
  // RFC 2453 §3.9.1 has routers answer Requests from any port (FRR does; BIRD answers no specific ones).
  const { heard } = await query({
    family: v6 ? "ipv6" : "ipv4",
    target: address,
    source,
    request,
    timeoutMs: 2000,
    quietMs: 200,
    from: "ephemeral",
  });
  if (heard.length === 0) return undefined;
  const metrics: Record<string, number> = {};
  for (const h of heard) {
    try {
      if (v6)
        for (const e of ripng.decode(h.bytes).value.entries)
          metrics[`${formatIpv6(e.prefix)}/${e.prefixLength}`] = e.metric;
      else
        for (const e of ripv2.decode(h.bytes).value.entries)
          metrics[`${formatIpv4(e.address)}/${maskToPrefixLength(e.mask)}`] = e.metric;
    } catch {
      // a malformed answer is no answer
    }
  }
  return metrics;
}

export interface ProbeOptions {
  socket: string;
  config?: DaemonConfig;
  configError?: string;
  tap?: string;
  gateway?: string;
}

/** The tap's guest server as the daemon reports it, what the config asks, and its sockets. */
async function observeGuests(
  tap: string,
  reports: GuestReport[] | undefined,
  config: DaemonConfig | undefined,
): Promise<GuestObservation> {
  const report = reports?.find((g) => g.tap === tap);
  const perTap = config?.taps[tap];
  const configured = config && {
    dhcp: perTap?.dhcp ?? config.guests.dhcp,
    ra: perTap?.ra ?? config.guests.ra,
  };
  const listening =
    report?.running && report.pid !== null ? await observeSockets(report.pid, tap) : undefined;
  return {
    tap,
    ...(configured ? { configured } : {}),
    ...(report ? { report } : {}),
    ...(listening ? { listening } : {}),
  };
}

export async function observe(options: ProbeOptions): Promise<Observations> {
  let daemon: Observations["daemon"];
  let guests: GuestReport[] | undefined;
  try {
    const [status, routes] = await Promise.all([
      callDaemon(options.socket, { id: 1, op: "status" }, 2000),
      callDaemon(options.socket, { id: 2, op: "routes" }, 2000),
    ]);
    if (!status.ok || !routes.ok) throw new Error("the daemon refused the status request");
    // both replies are checked against their schemas by callDaemon (control/replies.ts)
    guests = status.guests;
    daemon = {
      reachable: true,
      neighbors: status.neighbors satisfies NeighborObservation[],
      sequence: { value: status.sequence, exhausted: status.sequenceExhausted },
      routes: routes.routes.filter((r) => r.state === "active").map((r) => r.prefix),
    };
  } catch (error) {
    daemon = { reachable: false, error: (error as Error).message.replace(/^.*?: /, "") };
  }
  const uplinkNames = options.config?.interfaces.map((i) => i.name) ?? [];
  const rpFilter: Record<string, string> = { all: readSysctl("/proc/sys/net/ipv4/conf/all/rp_filter") };
  for (const name of [...uplinkNames, ...(options.tap ? [options.tap] : [])]) {
    rpFilter[name] = readSysctl(`/proc/sys/net/ipv4/conf/${name}/rp_filter`);
  }
  const observations: Observations = {
    socket: options.socket,
    daemon,
    uplinks: await Promise.all(uplinkNames.map(observeLink)),
    ...(options.tap ? { tap: await observeLink(options.tap) } : {}),
    ...(options.tap ? { guests: await observeGuests(options.tap, guests, options.config) } : {}),
    forwarding: {
      ipv4: readSysctl("/proc/sys/net/ipv4/ip_forward"),
      ipv6: readSysctl("/proc/sys/net/ipv6/conf/all/forwarding"),
    },
    rpFilter,
    firewall: await observeFirewall(),
  };
  if (daemon.reachable && daemon.routes.length > 0) {
    const heardV4 = daemon.neighbors.find((n) => !n.address.includes(":") && n.lastHeard !== null)?.address;
    const address = options.gateway ?? heardV4 ?? (await defaultGateway());
    if (address) {
      const auth = options.config?.interfaces.find((i) => i.ipv4)?.ipv4?.auth ?? { mode: "none" };
      let error: string | undefined;
      const metrics = await askGateway(address, daemon.routes, auth).catch((e: Error) => {
        error = e.message;
        return undefined;
      });
      observations.gateway = { address, ...(metrics ? { metrics } : {}), ...(error ? { error } : {}) };
    }
  }
  return observations;
}
