/**
 * Turns announced routes into encoded (and signed) datagrams for one interface and family: entries,
 * packetized to the limits, encoded, authenticated. Pure: the sequence number is passed in.
 */
import { type Ipv6Words, parseIpv4, parseIpv6, prefixLengthToMask } from "../wire/address.js";
import { cryptoAuthFor, sign } from "../wire/auth.js";
import {
  AFI_INET,
  AFI_UNSPECIFIED,
  INFINITY_METRIC,
  RIP_PORT,
  RIP_VERSION_2,
  RIPNG_MULTICAST_GROUP,
  RIPNG_PORT,
  RIPNG_VERSION,
  RIPV2_MULTICAST_GROUP,
} from "../wire/constants.js";
import * as ripng from "../wire/ripng.js";
import { maxRipngEntries, type RipngEntry } from "../wire/ripng.js";
import * as ripv2 from "../wire/ripv2.js";
import type { RequestReply } from "./inbound.js";
import { packetizeRipng, packetizeRipv2, type RipngRouteOut } from "./packetize.js";
import type { AnnouncedRoute } from "./table.js";
import type { AuthConfig, Family, InterfaceConfig, LinkState, SendAction } from "./types.js";

function advertisedMetric(route: AnnouncedRoute): number {
  return route.state === "withdrawing" ? INFINITY_METRIC : route.metric;
}

function onLink(address: number, link: LinkState): boolean {
  return link.ipv4.some((a) => {
    const mask = prefixLengthToMask(a.prefixLength);
    return ((parseIpv4(a.address) ^ address) & mask) >>> 0 === 0;
  });
}

/** RFC 2453 §4.4: a next hop is only useful if the receiver can reach it directly: same subnet. */
function ripv2NextHop(route: AnnouncedRoute, link: LinkState): number {
  if (!route.nextHop || route.nextHop.includes(":")) return 0;
  const address = parseIpv4(route.nextHop);
  return onLink(address, link) ? address : 0;
}

export function ripv2Entry(route: AnnouncedRoute, link: LinkState): ripv2.Ripv2Entry {
  const prefix = route.prefix;
  if (prefix.family !== "ipv4") throw new Error(`${prefix.text} is not IPv4`);
  return {
    afi: AFI_INET,
    tag: route.tag,
    address: prefix.address,
    mask: prefixLengthToMask(prefix.length),
    nextHop: ripv2NextHop(route, link),
    metric: advertisedMetric(route),
  };
}

/**
 * The crypto sequence number for a packet under `auth`, taken only when the mode has one: drawing a
 * number advances the persisted counter, which costs a state-file write.
 */
function sequenceFor(auth: AuthConfig, next: () => number): number {
  return auth.mode === "none" || auth.mode === "simple" ? 0 : next();
}

/** Encodes one RIPv2 packet with the interface's authentication (RFC 2453 §4.1, RFC 2082, RFC 4822). */
export function encodeRipv2(
  command: ripv2.Command,
  entries: ripv2.Ripv2Entry[],
  auth: AuthConfig,
  sequence: number,
): Uint8Array {
  const packet: ripv2.Ripv2Packet = { command, version: RIP_VERSION_2, entries };
  if (auth.mode === "none") return ripv2.encode(packet);
  if (auth.mode === "simple") {
    return ripv2.encode({
      ...packet,
      auth: { type: "simple", password: Buffer.from(auth.password).toString("latin1") },
    });
  }
  // BIRD signs with the first key that is valid now; riplet's keys have no lifetimes, so the first.
  const key = { ...auth.keys[0]!, algorithm: auth.mode };
  const bytes = ripv2.encode({ ...packet, auth: cryptoAuthFor(key, sequence, auth.md5AuthLength ?? 16) });
  sign(bytes, key);
  return bytes;
}

function ripv2Datagrams(
  routes: readonly AnnouncedRoute[],
  link: LinkState,
  auth: AuthConfig,
  sequence: number,
): Uint8Array[] {
  const entries = routes.filter((r) => r.prefix.family === "ipv4").map((r) => ripv2Entry(r, link));
  return packetizeRipv2(entries, auth.mode).map((chunk) => encodeRipv2("response", chunk, auth, sequence));
}

/** RFC 2080 §2.1.1: only a link-local next hop is meaningful; anything else means "this router". */
function ripngNextHop(route: AnnouncedRoute): Ipv6Words {
  if (!route.nextHop?.toLowerCase().startsWith("fe80:")) return [0, 0, 0, 0];
  return parseIpv6(route.nextHop.replace(/%.*$/, ""));
}

export function ripngRoute(route: AnnouncedRoute): RipngRouteOut {
  const prefix = route.prefix;
  if (prefix.family !== "ipv6") throw new Error(`${prefix.text} is not IPv6`);
  return {
    entry: {
      prefix: prefix.address,
      tag: route.tag,
      prefixLength: prefix.length,
      metric: advertisedMetric(route),
    },
    nextHop: ripngNextHop(route),
  };
}

function ripngDatagrams(routes: readonly AnnouncedRoute[], link: LinkState): Uint8Array[] {
  const out = routes.filter((r) => r.prefix.family === "ipv6").map(ripngRoute);
  return packetizeRipng(out, link.mtu).map((entries) =>
    ripng.encode({ command: "response", version: RIPNG_VERSION, entries }),
  );
}

/** Where updates go on a link: the multicast group unless turned off, and every unicast neighbour. */
export function destinations(config: InterfaceConfig | undefined, family: Family, link: LinkState): string[] {
  const settings = family === "ipv4" ? config?.ipv4 : config?.ipv6;
  if (!settings) return [];
  if (family === "ipv4" ? link.ipv4.length === 0 : !link.ipv6LinkLocal) return [];
  const group = family === "ipv4" ? RIPV2_MULTICAST_GROUP : RIPNG_MULTICAST_GROUP;
  return [...(settings.multicast ? [group] : []), ...settings.neighbors];
}

/** One datagram list sent to each destination, from the link's socket of `family`. */
export function sendTo(link: LinkState, family: Family, to: string[], datagrams: Uint8Array[]): SendAction[] {
  const port = family === "ipv4" ? RIP_PORT : RIPNG_PORT;
  return to.flatMap((destination) =>
    datagrams.map((bytes) => ({ interface: link.name, family, destination, port, bytes })),
  );
}

/**
 * The Responses carrying the `family` part of `routes` on a link, signed with the link's auth. None
 * when there is nothing of that family to say; a sequence number is drawn only when one is signed.
 */
export function familyDatagrams(
  config: InterfaceConfig | undefined,
  link: LinkState,
  family: Family,
  routes: readonly AnnouncedRoute[],
  sequence: () => number,
): Uint8Array[] {
  if (!routes.some((r) => r.prefix.family === family)) return [];
  if (family === "ipv6") return ripngDatagrams(routes, link);
  const auth = config?.ipv4?.auth;
  return auth ? ripv2Datagrams(routes, link, auth, sequenceFor(auth, sequence)) : [];
}

/** The Responses that tell a link's neighbours about `routes`, both families. */
export function updateActions(
  config: InterfaceConfig | undefined,
  link: LinkState,
  routes: readonly AnnouncedRoute[],
  sequence: () => number,
): SendAction[] {
  const out: SendAction[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const to = destinations(config, family, link);
    if (to.length > 0)
      out.push(...sendTo(link, family, to, familyDatagrams(config, link, family, routes, sequence)));
  }
  return out;
}

/**
 * The answer to a specific Request, split like any update: a Request may name more routes than one
 * datagram holds (RFC 2453's 512 bytes, the link's MTU), and encoding them as one threw, which a
 * single unauthenticated Request could use to stop the daemon (found by fuzzing). Asked for nothing
 * we know of (or an empty table): one empty Response, which still says we are here.
 */
export function replyDatagrams(
  reply: RequestReply,
  link: LinkState,
  auth: AuthConfig | undefined,
  sequence: () => number,
): Uint8Array[] {
  if (reply.family === "ipv6") {
    const capacity = maxRipngEntries(link.mtu);
    const chunks: RipngEntry[][] = [];
    for (let i = 0; i < reply.entries.length; i += capacity)
      chunks.push(reply.entries.slice(i, i + capacity));
    if (chunks.length === 0) chunks.push([]);
    return chunks.map((entries) => ripng.encode({ command: "response", version: RIPNG_VERSION, entries }));
  }
  const mode = auth ?? { mode: "none" as const };
  const number = sequenceFor(mode, sequence);
  const chunks = packetizeRipv2(reply.entries, mode.mode);
  if (chunks.length === 0) chunks.push([]);
  return chunks.map((chunk) => encodeRipv2("response", chunk, mode, number));
}

/** RFC 2453 §3.9.1 / RFC 2080 §2.4.1: ask the neighbours for everything, so they show up at once. */
export function requestActions(
  config: InterfaceConfig | undefined,
  link: LinkState,
  sequence: () => number,
): SendAction[] {
  const out: SendAction[] = [];
  const v4 = destinations(config, "ipv4", link);
  if (v4.length > 0 && config?.ipv4) {
    const whole = { afi: AFI_UNSPECIFIED, tag: 0, address: 0, mask: 0, nextHop: 0, metric: INFINITY_METRIC };
    out.push(
      ...sendTo(link, "ipv4", v4, [
        encodeRipv2("request", [whole], config.ipv4.auth, sequenceFor(config.ipv4.auth, sequence)),
      ]),
    );
  }
  const v6 = destinations(config, "ipv6", link);
  if (v6.length > 0) {
    const entries = [{ prefix: [0, 0, 0, 0] as const, tag: 0, prefixLength: 0, metric: INFINITY_METRIC }];
    out.push(
      ...sendTo(link, "ipv6", v6, [ripng.encode({ command: "request", version: RIPNG_VERSION, entries })]),
    );
  }
  return out;
}
