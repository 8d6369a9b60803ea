/**
 * `riplet doctor` (SPEC §8): the troubleshooting path a person walks by hand, one check at a time,
 * each saying ok / warn / fail and what to do. The checks are pure functions of what was observed
 * (probe.ts gathers it), so each one is testable on its own.
 */
import { SEQUENCE_EXHAUSTED_FIX } from "../speaker/sequence.js";
import { checkGateway, type GatewayObservation } from "./gateway.js";
import { checkGuests, type GuestObservation } from "./guests.js";

type Verdict = "ok" | "warn" | "fail";

export interface CheckResult {
  check: string;
  status: Verdict;
  message: string;
  fix?: string;
}

export interface LinkObservation {
  name: string;
  exists: boolean;
  up: boolean;
  addresses: string[];
}

export interface NeighborObservation {
  address: string;
  interface: string;
  family: "ipv4" | "ipv6";
  lastHeard: number | null;
}

export interface Observations {
  socket: string;
  daemon:
    | {
        reachable: true;
        routes: string[];
        neighbors: NeighborObservation[];
        /** The last crypto sequence number and whether it reached 2^32 − 1 (absent from older daemons). */
        sequence?: { value: number; exhausted: boolean };
      }
    | { reachable: false; error: string };
  /** Why the config given could not be read; the daemon's uplinks are checked instead when it runs. */
  configError?: string;
  /** Where the uplinks to check came from: the config read, the running daemon, or nowhere. */
  uplinksFrom?: "config" | "daemon" | "none";
  uplinks: LinkObservation[];
  tap?: LinkObservation;
  forwarding: { ipv4: string; ipv6: string };
  /** rp_filter by interface ("all", uplinks, tap). */
  rpFilter: Record<string, string>;
  /** Firewall rules that would drop RIP, as found in nft / iptables output; undefined when no tool ran. */
  firewall?: { tool: string; drops: string[] };
  /** Per family announced: the gateway asked about our prefixes, and its answer. */
  gateways?: GatewayObservation[];
  /** The tap's DHCP/RA server (only with a tap to check). */
  guests?: GuestObservation;
}

/** A neighbour heard within this many seconds counts as alive (RFC 2453 route timeout: 180 s). */
const RECENT_SECONDS = 180;

const ok = (check: string, message: string): CheckResult => ({ check, status: "ok", message });
const warn = (check: string, message: string, fix: string): CheckResult => ({
  check,
  status: "warn",
  message,
  fix,
});
const fail = (check: string, message: string, fix: string): CheckResult => ({
  check,
  status: "fail",
  message,
  fix,
});

function checkDaemon(o: Observations): CheckResult {
  if (o.daemon.reachable)
    return ok("daemon", `daemon answers on ${o.socket} (${o.daemon.routes.length} routes announced)`);
  return fail(
    "daemon",
    `no daemon on ${o.socket}: ${o.daemon.error}`,
    "start it: riplet daemon -c /etc/riplet/riplet.yaml (a hook starts it too)",
  );
}

/** A config given (-c or RIPLET_CONFIG) that could not be read: said once, as a warning. */
function checkConfig(o: Observations): CheckResult[] {
  if (!o.configError) return [];
  const instead = o.uplinksFrom === "daemon" ? "; the running daemon's uplinks are checked instead" : "";
  return [warn("config", `${o.configError}${instead}`, "give the daemon's config: riplet doctor -c FILE")];
}

function checkUplinks(o: Observations): CheckResult[] {
  if (o.uplinks.length === 0 && o.uplinksFrom === "none")
    return [
      fail(
        "uplink",
        "no uplinks to check: no daemon answers and no config was read",
        "start the daemon (systemctl start riplet, or riplet daemon -c FILE), or give riplet doctor -c FILE",
      ),
    ];
  if (o.uplinks.length === 0)
    return [
      fail(
        "uplink",
        "no uplink interfaces configured",
        "list them in the config: interfaces: [{ name: eth0 }]",
      ),
    ];
  return o.uplinks.map((l) => {
    if (!l.exists)
      return fail("uplink", `${l.name} does not exist`, `fix interfaces: in the config, or create ${l.name}`);
    if (!l.up) return fail("uplink", `${l.name} is down`, `ip link set ${l.name} up`);
    if (l.addresses.length === 0)
      return fail("uplink", `${l.name} has no address`, `give ${l.name} an address on the gateway's subnet`);
    return ok("uplink", `${l.name} is up with ${l.addresses.join(", ")}`);
  });
}

function checkTap(o: Observations): CheckResult[] {
  const tap = o.tap;
  if (!tap) return [];
  if (!tap.exists)
    return [
      fail("tap", `${tap.name} does not exist`, "is the VM running? QEMU creates its tap when it starts"),
    ];
  if (!tap.up)
    return [
      fail("tap", `${tap.name} is down`, `ip link set ${tap.name} up (riplet hook up ${tap.name} does it)`),
    ];
  if (tap.addresses.length === 0) {
    return [
      fail(
        "tap",
        `${tap.name} has no address`,
        `RIPLET_ADDRESSES=198.51.100.1/24 riplet hook up ${tap.name}, or taps.${tap.name}.addresses in the config`,
      ),
    ];
  }
  return [ok("tap", `${tap.name} is up with ${tap.addresses.join(", ")}`)];
}

/** Families the daemon announces (both when it cannot be asked): only those need forwarding. */
function familiesInUse(o: Observations): { ipv4: boolean; ipv6: boolean } {
  if (!o.daemon.reachable) return { ipv4: true, ipv6: true };
  return {
    ipv4: o.daemon.routes.some((p) => !p.includes(":")),
    ipv6: o.daemon.routes.some((p) => p.includes(":")),
  };
}

function checkForwarding(o: Observations): CheckResult[] {
  const out: CheckResult[] = [];
  const used = familiesInUse(o);
  for (const [family, value, key, needed] of [
    ["IPv4", o.forwarding.ipv4, "net.ipv4.ip_forward", used.ipv4],
    ["IPv6", o.forwarding.ipv6, "net.ipv6.conf.all.forwarding", used.ipv6],
  ] as const) {
    if (!needed && value !== "1") continue; // nothing of this family is announced
    out.push(
      value === "1"
        ? ok("forwarding", `${family} forwarding is on`)
        : fail("forwarding", `${family} forwarding is off`, `sysctl -w ${key}=1`),
    );
  }
  return out;
}

/** rp_filter 1 (strict) drops packets whose source would not be routed back out the same interface. */
function checkRpFilter(o: Observations): CheckResult {
  const strict = Object.entries(o.rpFilter)
    .filter(([, v]) => v === "1")
    .map(([k]) => k);
  if (strict.length === 0) return ok("rp_filter", "reverse-path filtering will not drop the VM's traffic");
  return warn(
    "rp_filter",
    `strict reverse-path filtering on ${strict.join(", ")}: replies are dropped if routing is asymmetric`,
    `sysctl -w net.ipv4.conf.${strict[0]}.rp_filter=2 (loose)`,
  );
}

function checkFirewall(o: Observations): CheckResult {
  if (!o.firewall) return ok("firewall", "no nft or iptables found: nothing filters UDP 520/521");
  if (o.firewall.drops.length === 0) return ok("firewall", `${o.firewall.tool}: no rule drops UDP 520/521`);
  return fail(
    "firewall",
    `${o.firewall.tool} may drop RIP: ${o.firewall.drops[0]}`,
    "accept udp dport {520, 521} on the uplinks (and on INPUT/OUTPUT when the policy is drop)",
  );
}

function checkNeighbors(o: Observations): CheckResult[] {
  if (!o.daemon.reachable) return [];
  const heard = o.daemon.neighbors;
  const used = familiesInUse(o);
  const families = (["ipv4", "ipv6"] as const).filter((f) => used[f]);
  return o.uplinks.flatMap((l) =>
    families.map((family) => {
      const where = `${l.name} (${family === "ipv4" ? "RIPv2" : "RIPng"})`;
      const mine = heard.filter((n) => n.interface === l.name && n.family === family);
      const recent = mine.filter((n) => n.lastHeard !== null && n.lastHeard <= RECENT_SECONDS);
      if (recent.length > 0)
        return ok(
          "neighbor",
          `${where}: heard ${recent.map((n) => `${n.address} (${n.lastHeard}s ago)`).join(", ")}`,
        );
      if (mine.length > 0) {
        return fail(
          "neighbor",
          `${where}: packets from ${mine[0]!.address} were all dropped`,
          "riplet status shows why (auth, port, source); fix keys or versions",
        );
      }
      return warn(
        "neighbor",
        `${where}: no neighbour heard in ${RECENT_SECONDS} s`,
        "enable RIP on the gateway for this link; a gateway with nothing to advertise here stays silent, so see the next check",
      );
    }),
  );
}

/** The gateway of each family we announce has our prefixes (the tap's, or all of them). */
function checkGatewayHasRoutes(o: Observations): CheckResult[] {
  if (!o.daemon.reachable || o.daemon.routes.length === 0) return [];
  return (o.gateways ?? []).flatMap(checkGateway);
}

/** RFC 4822 §3: at 2^32 − 1 the sequence number cannot grow; peers drop what we sign as replays. */
function checkSequence(o: Observations): CheckResult[] {
  if (!o.daemon.reachable || !o.daemon.sequence?.exhausted) return [];
  return [
    fail(
      "sequence",
      `crypto sequence number at 2^32−1 (${o.daemon.sequence.value}): replay protection is gone and peers that want a higher number drop our updates`,
      SEQUENCE_EXHAUSTED_FIX,
    ),
  ];
}

export function runChecks(o: Observations): CheckResult[] {
  return [
    checkDaemon(o),
    ...checkSequence(o),
    ...checkConfig(o),
    ...checkUplinks(o),
    ...checkTap(o),
    ...checkGuests(o.guests),
    ...checkForwarding(o),
    checkRpFilter(o),
    checkFirewall(o),
    ...checkNeighbors(o),
    ...checkGatewayHasRoutes(o),
  ];
}
