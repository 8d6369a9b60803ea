/**
 * The protocol engine: the announced-route table, the update schedule, the neighbour table, and what
 * to send when. No sockets and no timers: the caller feeds it clock readings (ms, monotonic) and
 * datagrams, and sends what it returns. A caller sleeps until nextWakeAt() and calls tick(). What a
 * received datagram does is receive.ts's; the whole table's reused datagrams are full-table.ts's.
 */
import { GARBAGE_COLLECTION_MS, ROUTE_TIMEOUT_MS } from "../wire/constants.js";
import { FullTableDatagrams } from "./full-table.js";
import { sameLinkState } from "./link-state.js";
import { type DropReason, NeighborTable } from "./neighbors.js";
import { Receiver } from "./receive.js";
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
  Update,
} from "./types.js";
import { destinations, requestActions, sendTo, updateActions } from "./updates.js";

export type { Counters, SpeakerOptions } from "./types.js";

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
  private readonly fullTable: FullTableDatagrams;
  private readonly receiver: Receiver;
  private readonly schedule: UpdateSchedule;
  private readonly sequences: SequenceCounter;
  /** How many times pending changes were taken into an update (see updatesTaken). */
  private taken = 0;

  constructor(options: SpeakerOptions, now: number) {
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
    this.fullTable = new FullTableDatagrams(this.table, () => this.nextSequence());
    this.receiver = new Receiver({
      table: this.table,
      neighbors: this.neighbors,
      counters: this.counters,
      dropsByReason: this.dropsByReason,
      events: options.events,
      links: this.links,
      config: (name) => this.configs.get(name),
      fullTableOn: (link, family) => this.fullTableOn(link, family),
      nextSequence: () => this.nextSequence(),
    });
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

  /** The whole table's datagrams for one link and family (full-table.ts); only for datagrams that are sent. */
  private fullTableOn(link: LinkState, family: Family): Uint8Array[] {
    return this.fullTable.on(link, family, this.configs.get(link.name));
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

  /** Handles one received datagram; returns the answer to send, if it was a Request (receive.ts). */
  receive(inbound: Inbound, now: number): SendAction[] {
    this.newSession();
    return this.receiver.receive(inbound, now);
  }

  /**
   * The transport finished sending `actions`, as returned by receive(): if that was a whole-table
   * answer, its interface may send another. Without this call the slot frees itself after 5 s.
   */
  answerDone(actions: readonly SendAction[]): void {
    this.receiver.answerDone(actions);
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
