/**
 * The protocol engine: the announced-route table, the update schedule, the neighbour table, and what
 * to send when. No sockets and no timers: the caller feeds it clock readings (ms, monotonic) and
 * datagrams, and sends what it returns. A caller sleeps until nextWakeAt() and calls tick().
 */
import {
  GARBAGE_COLLECTION_MS,
  INFINITY_METRIC,
  RIPNG_VERSION,
  ROUTE_TIMEOUT_MS,
} from "../wire/constants.js";
import * as ripng from "../wire/ripng.js";
import { maxRipngEntries, type RipngEntry } from "../wire/ripng.js";
import {
  ipv4LinkOf,
  ipv6LinkOf,
  judgeRipng,
  judgeRipv2,
  type RequestReply,
  type Verdict,
  withoutZone,
} from "./inbound.js";
import { type DropReason, type Neighbor, NeighborTable } from "./neighbors.js";
import { packetizeRipv2 } from "./packetize.js";
import { type TriggeredMode, UpdateSchedule } from "./schedule.js";
import { type AnnouncedRoute, type RouteSpec, RouteTable } from "./table.js";
import type { Inbound, InterfaceConfig, LinkState, SendAction } from "./types.js";
import {
  encodeRipv2,
  requestActions,
  ripngDatagrams,
  ripv2Datagrams,
  sequenceFor,
  updateActions,
} from "./updates.js";

export interface SpeakerEvents {
  /** A datagram was dropped (already counted against `neighbor`). */
  drop?(info: { neighbor: Neighbor; reason: DropReason; detail: string }): void;
  /** Routes in an otherwise good Response were skipped. */
  badRoutes?(info: { neighbor: Neighbor; routes: string[] }): void;
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
}

export interface Counters {
  packetsSent: number;
  packetsReceived: number;
  packetsDropped: number;
  routesSkipped: number;
  updatesSent: number;
  triggeredUpdatesSent: number;
  requestsAnswered: number;
}

export class Speaker {
  readonly table: RouteTable;
  readonly neighbors: NeighborTable;
  readonly counters: Counters = {
    packetsSent: 0,
    packetsReceived: 0,
    packetsDropped: 0,
    routesSkipped: 0,
    updatesSent: 0,
    triggeredUpdatesSent: 0,
    requestsAnswered: 0,
  };
  /** Every drop since start, by reason (the neighbour table forgets neighbours; this does not). */
  readonly dropsByReason: Partial<Record<DropReason, number>> = {};
  private configs: Map<string, InterfaceConfig>;
  private readonly links = new Map<string, LinkState>();
  private readonly lastFullUpdate = new Map<
    string,
    { version: number; link: LinkState; config: InterfaceConfig | undefined; actions: SendAction[] }
  >();
  private readonly schedule: UpdateSchedule;
  private lastSequence: number;
  private sessionSequence: number | undefined;

  constructor(
    private readonly options: SpeakerOptions,
    now: number,
  ) {
    this.configs = new Map(options.interfaces.map((c) => [c.name, c]));
    this.table = new RouteTable(options.timers?.garbageMs ?? GARBAGE_COLLECTION_MS);
    this.neighbors = new NeighborTable(options.timers?.timeoutMs ?? ROUTE_TIMEOUT_MS);
    this.schedule = new UpdateSchedule(
      { updateMs: options.timers?.updateMs, triggered: options.triggered, random: options.random },
      now,
    );
    this.lastSequence = options.initialSequence ?? 0;
    // The first full update goes out per link from setLinks(); the periodic one follows an interval later.
    this.schedule.periodicSent(now);
  }

  /** The last crypto sequence number used; persist it so a restart never goes backwards. */
  get sequence(): number {
    return this.lastSequence;
  }

  /**
   * RFC 4822 §3, as BIRD does it: Unix time, strictly increasing per update session, one number for
   * every packet of a session. A "session" is one call into the speaker (a tick, a received Request,
   * a link change), so a burst of packets costs one number and a quick restart, which starts again
   * from Unix time, rarely finds itself behind the last number sent.
   */
  private nextSequence(): number {
    if (this.sessionSequence === undefined) {
      this.lastSequence = Math.max(this.lastSequence + 1, Math.floor(this.options.unixSeconds()));
      this.sessionSequence = this.lastSequence;
    }
    return this.sessionSequence;
  }

  /** Marks the start of a new update session (see nextSequence). */
  private newSession(): void {
    this.sessionSequence = undefined;
  }

  /**
   * The system's view of the configured interfaces. A link that appears (or gains an address) gets a
   * whole-table Request and a full update at once; one that is gone simply stops being used.
   */
  setLinks(states: readonly LinkState[]): SendAction[] {
    this.newSession();
    const fresh: LinkState[] = [];
    const seen = new Set<string>();
    for (const state of states) {
      if (!this.configs.has(state.name)) continue;
      seen.add(state.name);
      const before = this.links.get(state.name);
      if (before && JSON.stringify(before) === JSON.stringify(state)) continue; // kept: same object
      fresh.push(state);
      this.links.set(state.name, state);
    }
    for (const name of [...this.links.keys()]) if (!seen.has(name)) this.links.delete(name);
    if (fresh.length === 0) return []; // the 250 ms poll, nothing new: no copy of the table
    const routes = this.table.all();
    // When every link just got the whole table, pending changes have nowhere left to go.
    if (fresh.length === this.links.size) {
      this.table.takeChanges();
      this.schedule.cancelTriggered();
    }
    return fresh.flatMap((link) => [...this.requestsOn(link), ...this.updateOn(link, routes)]);
  }

  announce(spec: RouteSpec, now: number): boolean {
    const changed = this.table.announce(spec, now);
    if (changed) this.schedule.changed(now);
    return changed;
  }

  withdraw(prefixText: string, now: number): boolean {
    const changed = this.table.withdraw(prefixText, now);
    if (changed) this.schedule.changed(now);
    return changed;
  }

  withdrawOwner(owner: string, now: number): AnnouncedRoute[] {
    const gone = this.table.withdrawOwner(owner, now);
    if (gone.length > 0) this.schedule.changed(now);
    return gone;
  }

  /** Starts withdrawing every active route (maintenance); returns them. */
  withdrawAll(now: number): AnnouncedRoute[] {
    const gone = this.table.withdrawAll(now);
    if (gone.length > 0) this.schedule.changed(now);
    return gone;
  }

  /** Poisons every route and returns the datagrams that say so, to send before exiting. */
  shutdown(now: number): SendAction[] {
    this.newSession();
    this.table.withdrawAll(now);
    this.table.takeChanges();
    return this.updateAll(this.table.withdrawingRoutes());
  }

  nextWakeAt(): number {
    const garbage = this.table.nextGarbageAt();
    return garbage === undefined ? this.schedule.nextWakeAt() : Math.min(garbage, this.schedule.nextWakeAt());
  }

  /** Sends whatever is due: the periodic update, a triggered update, and garbage collection. */
  tick(now: number): SendAction[] {
    this.newSession();
    this.table.collectGarbage(now);
    this.neighbors.expire(now);
    if (this.schedule.periodicDue(now)) {
      this.table.takeChanges();
      this.schedule.periodicSent(now);
      this.counters.updatesSent++;
      return this.periodicUpdate();
    }
    if (this.schedule.triggeredDue(now)) {
      this.schedule.triggeredSent(now);
      const changes = this.table.takeChanges();
      if (changes.length === 0) return [];
      this.counters.triggeredUpdatesSent++;
      return this.updateAll(changes);
    }
    return [];
  }

  /**
   * The full table on every link. Unless the table, the link or its settings changed, or the link
   * signs with a sequence number, the datagrams of the previous periodic update are sent again as
   * they are: with 20,000 routes, building them anew every 30 s was most of the daemon's CPU and
   * garbage (issue 6).
   */
  private periodicUpdate(): SendAction[] {
    const out: SendAction[] = [];
    for (const link of this.links.values()) {
      const config = this.configs.get(link.name);
      const cached = this.lastFullUpdate.get(link.name);
      if (
        cached &&
        cached.version === this.table.version &&
        cached.link === link &&
        cached.config === config
      ) {
        out.push(...this.count(cached.actions));
        continue;
      }
      const actions = this.updateOn(link, this.table.all());
      const mode = config?.ipv4?.auth.mode ?? "none";
      if (mode === "none" || mode === "simple") {
        this.lastFullUpdate.set(link.name, { version: this.table.version, link, config, actions });
      }
      out.push(...actions);
    }
    return out;
  }

  private updateAll(routes: readonly AnnouncedRoute[]): SendAction[] {
    if (routes.length === 0) return [];
    return [...this.links.values()].flatMap((link) => this.updateOn(link, routes));
  }

  private updateOn(link: LinkState, routes: readonly AnnouncedRoute[]): SendAction[] {
    return this.count(updateActions(this.configs.get(link.name), link, routes, () => this.nextSequence()));
  }

  private requestsOn(link: LinkState): SendAction[] {
    return this.count(requestActions(this.configs.get(link.name), link, () => this.nextSequence()));
  }

  private count(actions: SendAction[]): SendAction[] {
    this.counters.packetsSent += actions.length;
    return actions;
  }

  /** Handles one received datagram; returns the answer to send, if it was a Request. */
  receive(inbound: Inbound, now: number): SendAction[] {
    this.newSession();
    this.counters.packetsReceived++;
    const link = this.linkFor(inbound);
    const source = withoutZone(inbound.source);
    if (link && this.isOwnAddress(source, link)) return [];
    const neighbor = this.neighbors.get(inbound.family, link?.name ?? inbound.interface ?? "?", source);
    if (!link)
      return this.dropped(neighbor, "NOT_ON_LINK", `${source} is not on any configured interface's subnet`);
    const config = this.configs.get(link.name)!;
    const settings = inbound.family === "ipv4" ? config.ipv4 : config.ipv6;
    if (!settings)
      return this.dropped(neighbor, "UNKNOWN_INTERFACE", `${inbound.family} is off on ${link.name}`);
    const verdict =
      inbound.family === "ipv4" ? judgeRipv2(inbound, config.ipv4!.auth, neighbor) : judgeRipng(inbound);
    return this.apply(verdict, inbound, link, neighbor, now);
  }

  private apply(
    verdict: Verdict,
    inbound: Inbound,
    link: LinkState,
    neighbor: Neighbor,
    now: number,
  ): SendAction[] {
    if (verdict.kind === "ignore") return [];
    if (verdict.kind === "drop") return this.dropped(neighbor, verdict.reason, verdict.detail);
    if (verdict.kind === "request") {
      this.counters.requestsAnswered++;
      return this.answer(verdict, inbound, link);
    }
    neighbor.lastHeard = now;
    neighbor.version = verdict.version;
    for (const route of verdict.routes) this.neighbors.heardRoute(neighbor, route.prefix, route.metric, now);
    if (verdict.badRoutes.length > 0) {
      neighbor.badRoutes += verdict.badRoutes.length;
      this.counters.routesSkipped += verdict.badRoutes.length;
      this.options.events?.badRoutes?.({ neighbor, routes: verdict.badRoutes });
    }
    return [];
  }

  /** RFC 2453 §3.9.1 / RFC 2080 §2.4.1: answer to the requester's address and port, from this link. */
  private answer(
    verdict: Extract<Verdict, { kind: "request" }>,
    inbound: Inbound,
    link: LinkState,
  ): SendAction[] {
    const family = inbound.family;
    const to = (datagrams: Uint8Array[]) =>
      datagrams.map((bytes) => ({
        interface: link.name,
        family,
        destination: inbound.source,
        port: inbound.sourcePort,
        bytes,
      }));
    let datagrams: Uint8Array[];
    if (verdict.wholeTable) {
      const routes = this.table.all();
      datagrams = family === "ipv4" ? this.ripv2Table(routes, link) : ripngDatagrams(routes, link);
      // nothing of that family to tell: an empty Response still says we are here
      if (datagrams.length === 0) datagrams = this.encodeReply({ family, entries: [] } as RequestReply, link);
    } else {
      const metrics = verdict.prefixes.map((p) => {
        const route = this.table.get(p);
        return route?.state === "active" ? route.metric : INFINITY_METRIC;
      });
      datagrams = this.encodeReply(verdict.reply(metrics), link);
    }
    this.counters.packetsSent += datagrams.length;
    return to(datagrams);
  }

  private ripv2Auth(link: LinkState) {
    return this.configs.get(link.name)!.ipv4!.auth;
  }

  private ripv2Table(routes: readonly AnnouncedRoute[], link: LinkState): Uint8Array[] {
    const auth = this.ripv2Auth(link);
    return ripv2Datagrams(
      routes,
      link,
      auth,
      sequenceFor(auth, () => this.nextSequence()),
    );
  }

  /**
   * The answer to a specific Request, split like any update: a Request may name more routes than one
   * datagram holds (RFC 2453's 512 bytes, the link's MTU), and encoding them as one threw, which a
   * single unauthenticated Request could use to stop the daemon (found by fuzzing).
   */
  private encodeReply(reply: RequestReply, link: LinkState): Uint8Array[] {
    if (reply.family === "ipv6") {
      const capacity = maxRipngEntries(link.mtu);
      const chunks: RipngEntry[][] = [];
      for (let i = 0; i < reply.entries.length; i += capacity)
        chunks.push(reply.entries.slice(i, i + capacity));
      if (chunks.length === 0) chunks.push([]); // asked for nothing we know of: an empty answer
      return chunks.map((entries) => ripng.encode({ command: "response", version: RIPNG_VERSION, entries }));
    }
    const auth = this.ripv2Auth(link);
    const sequence = sequenceFor(auth, () => this.nextSequence());
    const chunks = packetizeRipv2(reply.entries, auth.mode);
    if (chunks.length === 0) chunks.push([]); // asked for nothing we know of: an empty answer
    return chunks.map((chunk) => encodeRipv2("response", chunk, auth, sequence));
  }

  private dropped(neighbor: Neighbor, reason: DropReason, detail: string): SendAction[] {
    this.neighbors.dropped(neighbor, reason);
    this.counters.packetsDropped++;
    this.dropsByReason[reason] = (this.dropsByReason[reason] ?? 0) + 1;
    this.options.events?.drop?.({ neighbor, reason, detail });
    return [];
  }

  private linkFor(inbound: Inbound): LinkState | undefined {
    if (inbound.interface) return this.links.get(inbound.interface);
    if (inbound.family === "ipv4") return ipv4LinkOf(inbound.source, this.links.values());
    const zone = inbound.source.split("%")[1];
    return zone ? this.links.get(zone) : ipv6LinkOf(inbound.source, this.links.values());
  }

  private isOwnAddress(source: string, link: LinkState): boolean {
    return (
      link.ipv4.some((a) => a.address === source) ||
      link.ipv6LinkLocal === source ||
      (link.ipv6 ?? []).some((a) => a.address === source)
    );
  }

  /**
   * New interface settings (a config reload). Links whose settings changed are forgotten, so the next
   * setLinks() greets them again with a Request and the full table under the new settings.
   */
  reconfigure(interfaces: readonly InterfaceConfig[]): void {
    const next = new Map(interfaces.map((c) => [c.name, c]));
    for (const name of [...this.links.keys()]) {
      if (JSON.stringify(next.get(name)) !== JSON.stringify(this.configs.get(name))) this.links.delete(name);
    }
    this.configs = next;
  }

  linkStates(): LinkState[] {
    return [...this.links.values()];
  }
}
