/** Plain types shared by the speaker's parts and the transport that feeds it. */
import type { AuthKey, CryptoAlgorithm } from "../wire/auth.js";
import type { DropReason, Neighbor, NeighborLimits } from "./neighbors.js";
import type { TriggeredMode } from "./schedule.js";

export type Family = "ipv4" | "ipv6";

/** RIPv2 authentication on one interface (SPEC §4 `auth`). */
export type AuthConfig =
  | { mode: "none" }
  | { mode: "simple"; password: Uint8Array }
  | { mode: CryptoAlgorithm; keys: Required<Pick<AuthKey, "id" | "secret">>[]; md5AuthLength?: 16 | 20 };

interface Ipv4Settings {
  auth: AuthConfig;
  /** Unicast neighbours updates also go to (SPEC §4 `neighbors`). */
  neighbors: string[];
  /** Send to 224.0.0.9; false = unicast neighbours only. */
  multicast: boolean;
}

interface Ipv6Settings {
  neighbors: string[];
  multicast: boolean;
}

/** One uplink riplet speaks on. */
export interface InterfaceConfig {
  name: string;
  ipv4?: Ipv4Settings;
  ipv6?: Ipv6Settings;
}

/** What the system says about an interface right now (transport/interfaces.ts reads it). */
export interface LinkState {
  name: string;
  /** IPv4 addresses with prefix lengths, e.g. { address: "192.0.2.2", prefixLength: 24 }. */
  ipv4: { address: string; prefixLength: number }[];
  /** The link-local address RIPng is sent from (RFC 2080 §2.5.1), without a zone. */
  ipv6LinkLocal?: string;
  /**
   * Global and ULA IPv6 addresses with prefix lengths: what tells which link a datagram from a
   * non-link-local source came over (it has no zone), so it is judged by that link's rules.
   */
  ipv6?: { address: string; prefixLength: number }[];
  mtu: number;
}

/** One datagram for the transport to send. */
export interface SendAction {
  interface: string;
  family: Family;
  destination: string;
  port: number;
  bytes: Uint8Array;
}

/** One datagram the transport received. IPv6 link-local sources carry their zone ("fe80::1%eth0"). */
export interface Inbound {
  family: Family;
  bytes: Uint8Array;
  source: string;
  sourcePort: number;
  /** The interface, when the transport knows it (IPv6 zone); IPv4 is placed by its source subnet. */
  interface?: string;
}

interface SpeakerEvents {
  /** A datagram was dropped (already counted against `neighbor`). */
  drop?(info: { neighbor: Neighbor; reason: DropReason; detail: string }): void;
  /** Routes in an otherwise good Response were skipped. */
  badRoutes?(info: { neighbor: Neighbor; routes: string[] }): void;
  /** New routes past `limits.learnedRoutes` were not remembered (counted as ROUTE_LIMIT). */
  routeLimit?(info: { neighbor: Neighbor; routes: number }): void;
  /**
   * Once: the crypto sequence number reached 2^32−1 and stays there (RFC 4822 §3). Receivers that
   * want it to grow will drop us; the fix is a new key (id and secret) on both ends.
   */
  sequenceExhausted?(info: { sequence: number }): void;
}

export interface SpeakerOptions {
  interfaces: InterfaceConfig[];
  timers?: { updateMs?: number; timeoutMs?: number; garbageMs?: number };
  triggered?: TriggeredMode;
  random: () => number;
  /** Wall-clock seconds since the epoch, for crypto sequence numbers (RFC 4822 §3). */
  unixSeconds: () => number;
  /** The last sequence number sent before a restart (from the state file): never go below it. */
  initialSequence?: number;
  events?: SpeakerEvents;
  /** Bounds on what neighbours make us hold (SPEC §4 `limits`); defaults in neighbors.ts. */
  limits?: NeighborLimits;
}

export interface Counters {
  packetsSent: number;
  packetsReceived: number;
  packetsDropped: number;
  routesSkipped: number;
  updatesSent: number;
  triggeredUpdatesSent: number;
  requestsAnswered: number;
  /** Datagrams built but refused by the transport's full output queue (transport/pace.ts): never sent. */
  outputQueueDrops: number;
}

/** One tick's update (Speaker.update()). */
export interface Update {
  kind: "periodic" | "triggered" | "none";
  /** Datagrams that leave after everything already queued. */
  actions: SendAction[];
  /**
   * A triggered update's datagrams about fresh routes (not in the table when the last whole-table
   * update or answer was built, RouteTable.isFresh) on links that sign without a sequence number: they
   * may leave ahead of queued bulk datagrams, which cannot carry an older state of those routes. On a
   * link with crypto authentication they never do: a receiver drops a packet whose sequence number is
   * below the last it accepted (RFC 4822 §3; BIRD proto/rip/packets.c), and the queued ones are older.
   */
  urgent: SendAction[];
  /** The update's number (Speaker.updatesTaken) if it took the table's pending changes. */
  taken?: number;
}
