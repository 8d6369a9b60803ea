/**
 * FRRouting gateways: zebra, staticd, ripd and/or ripngd in a lab namespace with generated configs.
 * Each gateway has its own pathspace (`-N <namespace>`), so its vty sockets live in
 * /var/run/frr/<namespace>/ and never meet other labs'. The daemons drop to user frr, so their config
 * directory and run directory belong to frr.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.js";
import { type Child, exec } from "./proc.js";
import { waitFor } from "./wait.js";

/** Where the FRR daemons live: Debian's /usr/lib/frr, Fedora's /usr/libexec/frr, or $RIPLET_FRR_BIN. */
export const FRR_BIN =
  process.env.RIPLET_FRR_BIN ??
  ["/usr/lib/frr", "/usr/libexec/frr"].find((d) => existsSync(d)) ??
  "/usr/lib/frr";
const FRR_RUN = "/var/run/frr";

export interface RipdOptions {
  version?: 1 | 2;
  auth?: "none" | "text" | "md5";
  authLength?: "rfc" | "old-ripd";
  keyId?: number;
  secret?: string;
  /** `ip rip split-horizon poisoned-reverse`: a route learned on the link goes back at once with metric 16. */
  poisonedReverse?: boolean;
}

export interface FrrOptions {
  /** The interface RIP runs on. */
  ifname: string;
  ripd?: RipdOptions | boolean;
  ripngd?: boolean;
  /** `timers basic UPDATE TIMEOUT GARBAGE` (seconds) for both; FRR's defaults (30 180 120) otherwise. */
  timers?: { update: number; timeout: number; garbage: number };
  /** Routes of the gateway's own, redistributed into RIP: blackholes, default below. */
  statics?: string[];
  /** Which routes of the gateway's own RIP announces (`redistribute …`); ["static"] by default. */
  redistribute?: ("static" | "kernel" | "connected")[];
  /** Daemons configured but left for the caller to `start()` (e.g. to time ripd from its start). */
  deferred?: string[];
  /** No `debug` lines and info-level logs, as a production router runs (benchmarks); debug by default. */
  quiet?: boolean;
}

export const FRR_STATICS = ["203.0.113.0/24", "2001:db8:ff::/48"];

export interface Frr {
  name: string;
  ns: string;
  dir: string;
  daemons: Map<string, Child>;
  /** Stops one daemon (signal, default TERM) and waits for it to exit. */
  stop(daemon: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts one daemon again from its config and waits for its vty socket. */
  start(daemon: string): Promise<void>;
}

function redistributeLines(options: FrrOptions): string[] {
  return (options.redistribute ?? ["static"]).map((r) => ` redistribute ${r}`);
}

function ripdConf(
  o: RipdOptions,
  ifname: string,
  timers: string,
  redistribute: string[],
  quiet = false,
): string {
  const debug = quiet ? [] : ["debug rip events", "debug rip packet"];
  const lines = ["hostname ripd", "log timestamp precision 3", ...debug, "!"];
  if (o.auth === "md5")
    lines.push("key chain riplet", ` key ${o.keyId ?? 1}`, `  key-string ${o.secret}`, "!");
  lines.push(`interface ${ifname}`);
  if (o.poisonedReverse) lines.push(" ip rip split-horizon poisoned-reverse");
  if (o.auth === "text") {
    lines.push(" ip rip authentication mode text", ` ip rip authentication string ${o.secret}`);
  } else if (o.auth === "md5") {
    const len = o.authLength === "rfc" ? " auth-length rfc" : " auth-length old-ripd";
    lines.push(` ip rip authentication mode md5${len}`, " ip rip authentication key-chain riplet");
  }
  lines.push("!", "router rip");
  if (o.version) lines.push(` version ${o.version}`);
  lines.push(` network ${ifname}`, ...redistribute, timers, "!");
  return `${lines.filter(Boolean).join("\n")}\n`;
}

function ripngdConf(ifname: string, timers: string, redistribute: string[], quiet = false): string {
  const debug = quiet ? [] : ["debug ripng events", "debug ripng packet"];
  const lines = ["hostname ripngd", ...debug, "!", "router ripng"];
  lines.push(` network ${ifname}`, ...redistribute, timers, "!");
  return `${lines.filter(Boolean).join("\n")}\n`;
}

function staticdConf(statics: string[]): string {
  const routes = statics.map((p) =>
    p.includes(":") ? `ipv6 route ${p} blackhole` : `ip route ${p} blackhole`,
  );
  return `${["hostname staticd", ...routes].join("\n")}\n`;
}

/** Starts zebra, staticd and the asked RIP daemons in `ns`; they stop with the lab. */
export async function startFrr(lab: Lab, ns: string, options: FrrOptions): Promise<Frr> {
  const dir = join(lab.dir, `frr-${ns}`);
  mkdirSync(dir, { recursive: true });
  const run = join(FRR_RUN, ns);
  mkdirSync(run, { recursive: true });
  lab.adoptDir(run);

  const t = options.timers;
  const timers = t ? ` timers basic ${t.update} ${t.timeout} ${t.garbage}` : "";
  const confs: Record<string, string> = {
    zebra: "hostname zebra\n",
    staticd: staticdConf(options.statics ?? FRR_STATICS),
  };
  if (options.ripd) {
    const o = options.ripd === true ? {} : options.ripd;
    confs.ripd = ripdConf(o, options.ifname, timers, redistributeLines(options), options.quiet);
  }
  if (options.ripngd)
    confs.ripngd = ripngdConf(options.ifname, timers, redistributeLines(options), options.quiet);
  for (const [daemon, text] of Object.entries(confs)) writeFileSync(join(dir, `${daemon}.conf`), text);
  await exec(["chown", "-R", "frr:frr", dir, run]);

  const daemons = new Map<string, Child>();
  const start = async (daemon: string): Promise<void> => {
    const argv = [join(FRR_BIN, daemon), "-N", ns, "-f", join(dir, `${daemon}.conf`)];
    argv.push("-i", join(dir, `${daemon}.pid`), "-P", "0", "--log", `file:${join(dir, `${daemon}.log`)}`);
    argv.push("--log-level", options.quiet ? "informational" : "debug");
    const socket = join(run, daemon === "zebra" ? "zserv.api" : `${daemon}.vty`);
    rmSync(socket, { force: true }); // a killed daemon leaves its socket file behind
    const child = lab.spawn(ns, argv, `${daemon}@${ns}`);
    daemons.set(daemon, child);
    await waitFor(() => existsSync(socket) || !child.running, {
      timeoutMs: 15_000,
      what: `${daemon} socket`,
    });
    if (!child.running) throw new Error(`${daemon} exited at start:\n${child.describe()}`);
    if (daemon === "zebra") {
      await waitFor(() => existsSync(join(run, "zebra.vty")), { timeoutMs: 15_000, what: "zebra vty" });
    }
  };
  for (const daemon of Object.keys(confs)) if (!options.deferred?.includes(daemon)) await start(daemon);

  const stop = async (daemon: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    await daemons.get(daemon)?.stop(3000, signal);
  };
  return { name: ns, ns, dir, daemons, stop, start };
}

/** `vtysh -N NAME -c COMMAND`, stdout only (vtysh complains on stderr about a missing vtysh.conf). */
export async function vtysh(frr: Frr, command: string): Promise<string> {
  const { stdout } = await exec(["vtysh", "-N", frr.name, "-c", command], { timeoutMs: 10_000 });
  return stdout;
}

export interface FrrRipRoute {
  prefix: string;
  nextHop: string;
  metric: number;
  /** `R(n)` learned from a neighbour, `S(r)` redistributed static, … */
  code: string;
}

/** RIP routes as FRR sees them: `show ip rip` / `show ipv6 ripng` (FRR 8.4 has no JSON form). */
export async function frrRipRoutes(frr: Frr, family: "ipv4" | "ipv6"): Promise<FrrRipRoute[]> {
  const text = await vtysh(frr, family === "ipv4" ? "show ip rip" : "show ipv6 ripng");
  const entries: string[] = [];
  for (const line of text.split("\n")) {
    if (/^[A-Z]\([a-z]\)/.test(line)) entries.push(line);
    else if (/^\s+\S/.test(line) && entries.length > 0 && !/Network|Sub-codes|\(/.test(line)) {
      entries[entries.length - 1] += ` ${line.trim()}`; // ripngd wraps long prefixes onto two lines
    }
  }
  return entries.map((entry) => {
    const t = entry.trim().split(/\s+/);
    // ripd: code prefix nexthop metric from tag time; ripngd: code prefix nexthop via metric tag time
    const metric = family === "ipv4" ? t[3] : t[4];
    return { code: t[0]!, prefix: t[1]!, nextHop: t[2]!, metric: Number(metric) };
  });
}

export interface FrrPeer {
  address: string;
  badPackets: number;
  badRoutes: number;
}

/** The "Routing Information Sources" of `show ip rip status` / `show ipv6 ripng status`. */
export async function frrRipPeers(frr: Frr, family: "ipv4" | "ipv6" = "ipv4"): Promise<FrrPeer[]> {
  const text = await vtysh(frr, family === "ipv4" ? "show ip rip status" : "show ipv6 ripng status");
  const lines = text.split("\n");
  const header = lines.findIndex((l) => /Gateway\s+BadPackets/.test(l));
  if (header < 0) return [];
  const peers: FrrPeer[] = [];
  for (const line of lines.slice(header + 1)) {
    const t = line.trim().split(/\s+/);
    if (t.length < 4 || !/^[0-9a-f.:]+$/i.test(t[0]!)) break;
    peers.push({ address: t[0]!, badPackets: Number(t[1]), badRoutes: Number(t[2]) });
  }
  return peers;
}
