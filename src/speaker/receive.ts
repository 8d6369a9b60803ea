/**
 * What one received datagram does to the speaker: counted, dropped with its reason against the
 * neighbour that sent it, answered if it is a Request the policy admits, or its routes remembered.
 * inbound.ts judges the datagram; this applies the verdict. Split from speaker.ts, which keeps the
 * links and settings these read and decides what to send when.
 */
import { INFINITY_METRIC } from "../wire/constants.js";
import { isOwnAddress, judgeRipng, judgeRipv2, linkOf, type Verdict, withoutZone } from "./inbound.js";
import type { DropReason, Neighbor, NeighborTable } from "./neighbors.js";
import { RequestPolicy } from "./request-policy.js";
import type { RouteTable } from "./table.js";
import type {
  Counters,
  Family,
  Inbound,
  InterfaceConfig,
  LinkState,
  SendAction,
  SpeakerOptions,
} from "./types.js";
import { replyDatagrams } from "./updates.js";

/** The speaker's parts a received datagram reads and updates (Speaker owns them all). */
export interface ReceiverParts {
  readonly table: RouteTable;
  readonly neighbors: NeighborTable;
  readonly counters: Counters;
  readonly dropsByReason: Partial<Record<DropReason, number>>;
  readonly events: SpeakerOptions["events"];
  /** The links in use, by name; setLinks() keeps it current. */
  readonly links: ReadonlyMap<string, LinkState>;
  /** An interface's settings now (a reload replaces them). */
  config(name: string): InterfaceConfig | undefined;
  /** The whole table's datagrams for a link and family (full-table.ts). */
  fullTableOn(link: LinkState, family: Family): Uint8Array[];
  nextSequence(): number;
}

export class Receiver {
  private readonly requests = new RequestPolicy();

  constructor(private readonly speaker: ReceiverParts) {}

  /** Handles one received datagram; returns the answer to send, if it was a Request. */
  receive(inbound: Inbound, now: number): SendAction[] {
    const { counters, links, neighbors } = this.speaker;
    counters.packetsReceived++;
    const link = linkOf(inbound, links);
    const source = withoutZone(inbound.source);
    if (link && isOwnAddress(source, link)) return [];
    const neighbor = neighbors.get(inbound.family, link?.name ?? inbound.interface ?? "?", source);
    if (!link)
      return this.dropped(neighbor, "NOT_ON_LINK", `${source} is not on any configured interface's subnet`);
    const config = this.speaker.config(link.name)!;
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
    const { counters, dropsByReason, events, neighbors } = this.speaker;
    if (verdict.kind === "ignore") return [];
    if (verdict.kind === "drop") return this.dropped(neighbor, verdict.reason, verdict.detail);
    if (verdict.kind === "request") return this.answer(verdict, inbound, link, neighbor, now);
    neighbors.heard(neighbor, verdict.version, now);
    let overLimit = 0;
    for (const route of verdict.routes) {
      if (neighbors.heardRoute(neighbor, route.prefix, route.metric, now) === "over-limit") overLimit++;
    }
    if (overLimit > 0) {
      neighbors.dropped(neighbor, "ROUTE_LIMIT", overLimit);
      dropsByReason.ROUTE_LIMIT = (dropsByReason.ROUTE_LIMIT ?? 0) + overLimit;
      events?.routeLimit?.({ neighbor, routes: overLimit });
    }
    if (verdict.badRoutes.length > 0) {
      neighbor.badRoutes += verdict.badRoutes.length;
      counters.routesSkipped += verdict.badRoutes.length;
      events?.badRoutes?.({ neighbor, routes: verdict.badRoutes });
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
    const auth = family === "ipv4" ? this.speaker.config(link.name)?.ipv4?.auth : undefined;
    const sequence = () => this.speaker.nextSequence();
    let datagrams: Uint8Array[];
    if (verdict.wholeTable) {
      datagrams = this.speaker.fullTableOn(link, family);
      if (datagrams.length === 0) datagrams = replyDatagrams({ family, entries: [] }, link, auth, sequence);
    } else {
      const metrics = verdict.prefixes.map((p) => {
        const route = this.speaker.table.get(p);
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
    this.speaker.counters.requestsAnswered++;
    this.speaker.table.bulkBuilt();
    this.speaker.counters.packetsSent += out.length;
    return out;
  }

  /**
   * The transport finished sending `actions`, as returned by receive(): if that was a whole-table
   * answer, its interface may send another. Without this call the slot frees itself after 5 s.
   */
  answerDone(actions: readonly SendAction[]): void {
    this.requests.done(actions);
  }

  private dropped(neighbor: Neighbor, reason: DropReason, detail: string): SendAction[] {
    const { counters, dropsByReason, events } = this.speaker;
    this.speaker.neighbors.dropped(neighbor, reason);
    counters.packetsDropped++;
    dropsByReason[reason] = (dropsByReason[reason] ?? 0) + 1;
    events?.drop?.({ neighbor, reason, detail });
    return [];
  }
}
