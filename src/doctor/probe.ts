/** Gathers what `riplet doctor` judges: the daemon's view, interfaces, sysctls, firewall, the gateway. */
import { existsSync, readFileSync } from "node:fs";
import { callDaemon } from "../control/client.js";
import type { RouteReport, StatusReply } from "../control/replies.js";
import type { DaemonConfig } from "../daemon/config.js";
import type { GuestReport } from "../guests/servers.js";
import { runCommand } from "../host/exec.js";
import { isUp } from "../transport/interfaces.js";
import type { LinkObservation, NeighborObservation, Observations } from "./checks.js";
import { observeGateways } from "./gateway.js";
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

export interface ProbeOptions {
  socket: string;
  config?: DaemonConfig;
  /** Why the config given could not be read (a missing default config is no error: the daemon is asked). */
  configError?: string;
  tap?: string;
  gateway?: string;
}

/** What the daemon says of itself: the doctor's first check, and its uplinks when no config is read. */
interface DaemonView {
  daemon: Observations["daemon"];
  guests?: GuestReport[];
  interfaces?: StatusReply["interfaces"];
  routes: RouteReport[];
}

async function observeDaemon(socket: string): Promise<DaemonView> {
  try {
    const [status, routes] = await Promise.all([
      callDaemon(socket, { id: 1, op: "status" }, 2000),
      callDaemon(socket, { id: 2, op: "routes" }, 2000),
    ]);
    if (!status.ok || !routes.ok) throw new Error("the daemon refused the status request");
    // both replies are checked against their schemas by callDaemon (control/replies.ts)
    const active = routes.routes.filter((r) => r.state === "active");
    return {
      daemon: {
        reachable: true,
        neighbors: status.neighbors satisfies NeighborObservation[],
        sequence: { value: status.sequence, exhausted: status.sequenceExhausted },
        routes: active.map((r) => r.prefix),
      },
      guests: status.guests,
      interfaces: status.interfaces,
      routes: active,
    };
  } catch (error) {
    return {
      daemon: { reachable: false, error: (error as Error).message.replace(/^.*?: /, "") },
      routes: [],
    };
  }
}

/** The uplinks to check: the config's when one was read, else the running daemon's (issue 16). */
function uplinksOf(
  options: ProbeOptions,
  view: DaemonView,
): { names: string[]; from: Observations["uplinksFrom"] } {
  if (options.config) return { names: options.config.interfaces.map((i) => i.name), from: "config" };
  if (view.interfaces) return { names: view.interfaces.map((i) => i.name), from: "daemon" };
  return { names: [], from: "none" };
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
  const view = await observeDaemon(options.socket);
  const { daemon } = view;
  const uplinks = uplinksOf(options, view);
  const rpFilter: Record<string, string> = { all: readSysctl("/proc/sys/net/ipv4/conf/all/rp_filter") };
  for (const name of [...uplinks.names, ...(options.tap ? [options.tap] : [])]) {
    rpFilter[name] = readSysctl(`/proc/sys/net/ipv4/conf/${name}/rp_filter`);
  }
  const observations: Observations = {
    socket: options.socket,
    daemon,
    ...(options.configError ? { configError: options.configError } : {}),
    uplinksFrom: uplinks.from,
    uplinks: await Promise.all(uplinks.names.map(observeLink)),
    ...(options.tap ? { tap: await observeLink(options.tap) } : {}),
    ...(options.tap ? { guests: await observeGuests(options.tap, view.guests, options.config) } : {}),
    forwarding: {
      ipv4: readSysctl("/proc/sys/net/ipv4/ip_forward"),
      ipv6: readSysctl("/proc/sys/net/ipv6/conf/all/forwarding"),
    },
    rpFilter,
    firewall: await observeFirewall(),
  };
  if (daemon.reachable && view.routes.length > 0) {
    // the tap's own prefixes when it has any: that VM's routes are the question
    const owned = view.routes.filter((r) => options.tap !== undefined && r.owner === options.tap);
    observations.gateways = await observeGateways({
      ...(options.gateway ? { given: options.gateway } : {}),
      neighbors: daemon.neighbors,
      prefixes: (owned.length > 0 ? owned : view.routes).map((r) => r.prefix),
      auth: options.config?.interfaces.find((i) => i.ipv4)?.ipv4?.auth ?? { mode: "none" },
      linkLocal: (iface) =>
        view.interfaces?.find((i) => i.name === iface)?.ipv6LinkLocal?.replace(/%.*$/, "") ?? undefined,
    });
  }
  return observations;
}
