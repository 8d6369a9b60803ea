/**
 * The protocol engine: the announced-route table, the update schedule, the neighbour table, and what
 * to send when. No sockets and no timers: the caller feeds it clock readings (ms, monotonic) and
 * datagrams, and sends what it returns. A caller sleeps until nextWakeAt() and calls tick().
 */
import { GARBAGE_COLLECTION_MS, INFINITY_METRIC, ROUTE_TIMEOUT_MS } from "../wire/constants.js";
import { isOwnAddress, judgeRipng, judgeRipv2, linkOf, type Verdict, withoutZone } from "./inbound.js";
import { sameLinkState } from "./link-state.js";
import { type DropReason, type Neighbor, NeighborTable } from "./neighbors.js";
import { RequestPolicy } from "./request-policy.js";
import { UpdateSchedule } from "./schedule.js";
import { SequenceCounter } from "./sequence.js";
import { type AnnouncedRoute, type RouteSpec, RouteTable } from "./table.js";
import type {
  Counters,
  Family,
  Inbound,
  InterfaceConfig,
  LinkState,
  SendAction,
  SpeakerOptions,
} from "./types.js";
import {
  destinations,
  familyDatagrams,
  replyDatagrams,
  requestActions,
  sendTo,
  updateActions,
} from "./updates.js";

export type { Counters, SpeakerOptions } from "./types.js";

/** One tick's update. */
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
    outputQueueDrops: 0,
  };
  /** Every drop since start, by reason (the neighbour table forgets neighbours; this does not). */
  readonly dropsByReason: Partial<Record<DropReason, number>> = {};
  private configs: Map<string, InterfaceConfig>;
  private readonly links = new Map<string, LinkState>();
  /** Link and family → the full table's datagrams, while the table, link and settings are unchanged. */
  private readonly fullTable = new Map<
    string,
    { version: number; link: LinkState; config: InterfaceConfig | undefined; datagrams: Uint8Array[] }
  >();
  private readonly schedule: UpdateSchedule;
  private readonly sequences: SequenceCounter;
  private readonly requests = new RequestPolicy();
  /** How many times pending changes were taken into an update (see updatesTaken). */
  private taken = 0;

  constructor(
    private readonly options: SpeakerOptions,
    now: number,
  ) {
    this.configs = new Map(options.interfaces.map((c) => [c.name, c]));
    this.table = new RouteTable(options.timers?.garbageMs ?? GARBAGE_COLLECTION_MS);
    this.neighbors = new NeighborTable(options.timers?.timeoutMs ?? ROUTE_TIMEOUT_MS, options.limits);
    this.schedule = new UpdateSchedule(
      { updateMs: options.timers?.updateMs, triggered: options.triggered, random: options.random },
      now,
    );
    this.sequences = new SequenceCounter(options.initialSequence, options.unixSeconds, (sequence) =>
      options.events?.sequenceExhausted?.({ sequence }),
    );
    // The first full update goes out per link from setLinks(); the periodic one follows an interval later.
    this.schedule.periodicSent(now);
  }

  /** The last crypto sequence number used; persist it so a restart never goes backwards. */
  get sequence(): number {
    return this.sequences.value;
  }

  /**
   * Counts the updates that took the table's pending changes (triggered, periodic, or a full update
   * to every link). A caller notes it after a change; once an update numbered higher has been sent,
   * the change has left.
   */
  get updatesTaken(): number {
    return this.taken;
  }

  /** A change is waiting for its triggered update. */
  get updatePending(): boolean {
    return this.schedule.triggeredPending;
  }

  /** Takes the table's pending changes into the update being built. */
  private takeChanges(): AnnouncedRoute[] {
    this.taken++;
    return this.table.takeChanges();
  }

  /** True once the sequence number reached 2^32−1 (RFC 4822 §3): a new key is needed. */
  get sequenceExhausted(): boolean {
    return this.sequences.exhausted;
  }

  /** RFC 4822 §3, as BIRD does it: see SequenceCounter. */
  private nextSequence(): number {
    return this.sequences.next();
  }

  /** Marks the start of a new update session (one sequence number for all its packets). */
  private newSession(): void {
    this.sequences.newSession();
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
      if (before && sameLinkState(before, state)) continue; // kept: the same link as before
      fresh.push(state);
      this.links.set(state.name, state);
    }
    for (const name of [...this.links.keys()]) if (!seen.has(name)) this.links.delete(name);
    if (fresh.length === 0) return []; // the 250 ms poll, nothing new: no copy of the table
    const routes = this.table.all();
    this.table.bulkBuilt();
    // When every link just got the whole table, pending changes have nowhere left to go.
    if (fresh.length === this.links.size) {
      this.takeChanges();
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
    this.takeChanges();
    return this.updateAll(this.table.withdrawingRoutes());
  }

  /** When tick()/update() next has work; with `periodic: false`, ignoring a due periodic update. */
  nextWakeAt(options: { periodic?: boolean } = {}): number {
    const garbage = this.table.nextGarbageAt() ?? Number.POSITIVE_INFINITY;
    return Math.min(garbage, this.schedule.nextWakeAt(options.periodic !== false));
  }

  /** Sends whatever is due: the periodic update, a triggered update, and garbage collection. */
  tick(now: number): SendAction[] {
    const update = this.update(now);
    return [...update.urgent, ...update.actions];
  }

  /**
   * What is due, and which kind of update it is. With `periodic: false` (the previous periodic update
   * is still leaving, paced) only a triggered update may go, and a fresh route's part of it overtakes
   * the periodic's datagrams (at 100,000 routes, a VM's announce waited 4.6 s behind one; issue 15).
   */
  update(now: number, options: { periodic?: boolean } = {}): Update {
    this.newSession();
    this.table.collectGarbage(now);
    this.neighbors.expire(now);
    if (options.periodic !== false && this.schedule.periodicDue(now)) {
      this.takeChanges();
      this.schedule.periodicSent(now);
      this.counters.updatesSent++;
      return { kind: "periodic", actions: this.periodicUpdate(), urgent: [], taken: this.taken };
    }
    if (!this.schedule.triggeredDue(now)) return { kind: "none", actions: [], urgent: [] };
    this.schedule.triggeredSent(now);
    const changes = this.takeChanges();
    if (changes.length === 0) return { kind: "none", actions: [], urgent: [], taken: this.taken };
    this.counters.triggeredUpdatesSent++;
    const fresh = changes.filter((r) => this.table.isFresh(r.prefix.text));
    const rest =
      fresh.length === changes.length ? [] : changes.filter((r) => !this.table.isFresh(r.prefix.text));
    const actions: SendAction[] = [];
    const urgent: SendAction[] = [];
    for (const link of this.links.values()) {
      if (!this.mayOvertake(link)) actions.push(...this.updateOn(link, changes));
      else {
        urgent.push(...this.updateOn(link, fresh));
        actions.push(...this.updateOn(link, rest));
      }
    }
    return { kind: "triggered", actions, urgent, taken: this.taken };
  }

  /** Unsigned or password links: no sequence number that overtaking would send backwards. */
  private mayOvertake(link: LinkState): boolean {
    const mode = this.configs.get(link.name)?.ipv4?.auth.mode ?? "none";
    return mode === "none" || mode === "simple";
  }

  /** The full table on every link, each family to its destinations. */
  private periodicUpdate(): SendAction[] {
    this.table.bulkBuilt();
    const out: SendAction[] = [];
    for (const link of this.links.values()) {
      const config = this.configs.get(link.name);
      for (const family of ["ipv4", "ipv6"] as const) {
        const to = destinations(config, family, link);
        if (to.length > 0) out.push(...sendTo(link, family, to, this.fullTableOn(link, family)));
      }
    }
    return this.count(out);
  }

  /**
   * The whole table's datagrams for one link and family. Unless the table, the link or its settings
   * changed, or the link signs with a sequence number, those of the previous time are used again as
   * they are: with 20,000 routes, building them anew every 30 s was most of the daemon's CPU and
   * garbage (issue 6), and a whole-table answer costs no new memory. Signed, they are built fresh
   * and a sequence number is drawn: only call this for datagrams that will be sent.
   */
  private fullTableOn(link: LinkState, family: Family): Uint8Array[] {
    const config = this.configs.get(link.name);
    const key = `${link.name} ${family}`;
    const cached = this.fullTable.get(key);
    const version = this.table.version;
    if (cached && cached.version === version && cached.link === link && cached.config === config) {
      return cached.datagrams;
    }
    const datagrams = familyDatagrams(config, link, family, this.table.all(), () => this.nextSequence());
    const mode = family === "ipv4" ? (config?.ipv4?.auth.mode ?? "none") : "none";
    if (mode === "none" || mode === "simple") this.fullTable.set(key, { version, link, config, datagrams });
    return datagrams;
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
    const link = linkOf(inbound, this.links);
    const source = withoutZone(inbound.source);
    if (link && isOwnAddress(source, link)) return [];
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
    if (verdict.kind === "request") return this.answer(verdict, inbound, link, neighbor, now);
    this.neighbors.heard(neighbor, verdict.version, now);
    let overLimit = 0;
    for (const route of verdict.routes) {
      if (this.neighbors.heardRoute(neighbor, route.prefix, route.metric, now) === "over-limit") overLimit++;
    }
    if (overLimit > 0) {
      this.neighbors.dropped(neighbor, "ROUTE_LIMIT", overLimit);
      this.dropsByReason.ROUTE_LIMIT = (this.dropsByReason.ROUTE_LIMIT ?? 0) + overLimit;
      this.options.events?.routeLimit?.({ neighbor, routes: overLimit });
    }
    if (verdict.badRoutes.length > 0) {
      neighbor.badRoutes += verdict.badRoutes.length;
      this.counters.routesSkipped += verdict.badRoutes.length;
      this.options.events?.badRoutes?.({ neighbor, routes: verdict.badRoutes });
    }
    return [];
  }

  /**
   * RFC 2453 §3.9.1 / RFC 2080 §2.4.1: answer to the requester's address and port, from this link, if
   * the Request policy allows (request-policy.ts). The answer is built, and its sequence number drawn,
   * only once it is admitted: a refused Request costs nothing but its count.
   */
  private answer(
    verdict: Extract<Verdict, { kind: "request" }>,
    inbound: Inbound,
    link: LinkState,
    neighbor: Neighbor,
    now: number,
  ): SendAction[] {
    const family = inbound.family;
    const out: SendAction[] = []; // also the token answerDone() is called with
    const seen = { interface: link.name, family, source: neighbor.address, wholeTable: verdict.wholeTable };
    const refusal = this.requests.admit(seen, now, out);
    if (refusal) return this.dropped(neighbor, refusal.reason, refusal.detail);
    const auth = family === "ipv4" ? this.configs.get(link.name)?.ipv4?.auth : undefined;
    const sequence = () => this.nextSequence();
    let datagrams: Uint8Array[];
    if (verdict.wholeTable) {
      datagrams = this.fullTableOn(link, family);
      if (datagrams.length === 0) datagrams = replyDatagrams({ family, entries: [] }, link, auth, sequence);
    } else {
      const metrics = verdict.prefixes.map((p) => {
        const route = this.table.get(p);
        return route?.state === "active" ? route.metric : INFINITY_METRIC;
      });
      datagrams = replyDatagrams(verdict.reply(metrics), link, auth, sequence);
    }
    for (const bytes of datagrams) {
      out.push({
        interface: link.name,
        family,
        destination: inbound.source,
        port: inbound.sourcePort,
        bytes,
      });
    }
    this.counters.requestsAnswered++;
    this.table.bulkBuilt();
    return this.count(out);
  }

  /**
   * The transport finished sending `actions`, as returned by receive(): if that was a whole-table
   * answer, its interface may send another. Without this call the slot frees itself after 5 s.
   */
  answerDone(actions: readonly SendAction[]): void {
    this.requests.done(actions);
  }

  private dropped(neighbor: Neighbor, reason: DropReason, detail: string): SendAction[] {
    this.neighbors.dropped(neighbor, reason);
    this.counters.packetsDropped++;
    this.dropsByReason[reason] = (this.dropsByReason[reason] ?? 0) + 1;
    this.options.events?.drop?.({ neighbor, reason, detail });
    return [];
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
