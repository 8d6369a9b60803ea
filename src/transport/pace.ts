/**
 * Output pacing for multi-datagram updates (Cisco's `output-delay`, BIRD's one-packet-per-tx-event
 * loop), as pure arithmetic on a clock passed in: which queued datagrams may leave now, and when the
 * next one may. One token bucket per lane (interface and family: each is a separate receiving socket
 * on the gateway, ripd's and ripngd's). No sockets here; transport/udp.ts does the sending.
 *
 * Implementation note (issue 15; measured in the interop lab, a sender in one netns, the gateway in
 * another, 2 shared cores under load, so the rates are a slow receiver's):
 * - FRR ripd sets SO_RCVBUF to 41,600 (ripd/ripd.c RIP_UDP_RCV_BUF; the kernel doubles it), ripngd to
 *   8,096 (ripngd/ripngd.c). The kernel charges each datagram its skb truesize, about its length plus
 *   770 bytes on a veth: FRR 8.4's ripd took 64 full RIPv2 datagrams back to back and dropped past
 *   ~66; ripngd took 8 full RIPng datagrams (1,444 bytes) and dropped past ~9.
 * - What it then drains depends on the CPU it gets. 400 RIPv2 datagrams (10,000 routes, new or
 *   withdrawn) at 4,000/s lost 37-62 %; at 1,600/s (8 per 5 ms, riplet's previous pacing) 0-75; at
 *   1,000/s in groups of 16, 0-30; in groups of 4, none. 140 RIPng datagrams at 1,000/s in groups of
 *   4 lost 8-52; at 500/s, none.
 * - BIRD 2.0 keeps the default buffer (212,992): 128 RIPv2 and 32 RIPng datagrams back to back, no loss;
 *   but RIPng at 2,000/s lost 41 of 140 (it reads one packet per loop, proto/rip/packets.c rx hook),
 *   500/s none. BIRD's own sender writes one packet per socket-writable event (rip_tx_hook) and starts
 *   no update while one is leaving (rip_iface_timer); Cisco's `output-delay` (8-50 ms between the
 *   packets of a multi-packet update) exists for the same receivers.
 * So: a bucket of BURST_COST (a VM's announce, one small datagram per family, always leaves at once;
 * so does anything up to ~6 full RIPv2 or 3 full RIPng datagrams), then COST_PER_MS: ~390 full RIPv2
 * datagrams a second (9,800 routes) and ~225 full RIPng ones (16,000 routes), 2.5x and 2.2x below the
 * rates that lost nothing above. A datagram costs its length plus DATAGRAM_OVERHEAD, as it does in the
 * receiver's buffer, so a jumbo-MTU RIPng datagram is paced by its size and many tiny ones by count.
 */

/** What a receiver's kernel charges a datagram beyond its payload (skb truesize, measured above). */
export const DATAGRAM_OVERHEAD = 768;
/** How much may leave back to back on a lane: well inside ripngd's 16 kB receive buffer. */
export const BURST_COST = 8 * 1024;
/** The sustained rate, in cost units (bytes + overhead) per millisecond. */
export const COST_PER_MS = 500;
/**
 * Datagrams a lane holds before new ones are dropped (and counted). A lane that is empty always takes
 * a whole update, however large, so a big table's periodic update is never cut; the bound stops
 * anything else (answers, link flaps) piling up behind it.
 */
const MAX_QUEUED = 16_384;

export interface Paced {
  interface: string;
  family: string;
  bytes: Uint8Array;
}

export interface PaceOptions {
  burstCost?: number;
  costPerMs?: number;
  maxQueued?: number;
}

/** A queue read from `head` (shifting a 10,000-element array per datagram is quadratic). */
interface Fifo<T> {
  items: T[];
  head: number;
}

interface Lane<T> {
  /** Triggered updates: they leave before anything bulk already queued (see Pacer.push). */
  urgent: Fifo<T>;
  /** Periodic updates, full updates to a new link, answers to Requests. */
  bulk: Fifo<T>;
  tokens: number;
  at: number;
}

const waitingIn = <T>(q: Fifo<T>): number => q.items.length - q.head;
const waiting = <T>(lane: Lane<T>): number => waitingIn(lane.urgent) + waitingIn(lane.bulk);
const peek = <T>(lane: Lane<T>): T | undefined =>
  lane.urgent.items[lane.urgent.head] ?? lane.bulk.items[lane.bulk.head];
const queueOf = <T>(lane: Lane<T>): Fifo<T> => (waitingIn(lane.urgent) > 0 ? lane.urgent : lane.bulk);
const drain = <T>(q: Fifo<T>): T[] => {
  const out = q.items.slice(q.head);
  q.items = [];
  q.head = 0;
  return out;
};

export const costOf = (item: Paced): number => item.bytes.length + DATAGRAM_OVERHEAD;

export class Pacer<T extends Paced> {
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly burst: number;
  private readonly rate: number;
  private readonly max: number;
  /** Datagrams refused because their lane was full, since start. */
  dropped = 0;

  constructor(options: PaceOptions = {}) {
    this.burst = options.burstCost ?? BURST_COST;
    this.rate = options.costPerMs ?? COST_PER_MS;
    this.max = options.maxQueued ?? MAX_QUEUED;
  }

  /**
   * Queues items behind what their lane already holds; returns those refused (the lane was full).
   * `urgent` items (a triggered update: a VM's announce or withdraw) go ahead of bulk ones already
   * queued (a 100,000-route periodic update takes seconds to leave; issue 15 measured an announce
   * waiting 4.6 s behind one), in order among themselves. The caller re-sends what they overtook
   * once the bulk has left, since an older copy of the same routes may still be in it.
   */
  push(items: readonly T[], now: number, urgent = false): T[] {
    const refused: T[] = [];
    const wasEmpty = new Map<Lane<T>, boolean>();
    for (const item of items) {
      const lane = this.lane(item, now);
      const held = waiting(lane);
      if (!wasEmpty.has(lane)) wasEmpty.set(lane, held === 0);
      if (!wasEmpty.get(lane) && held >= this.max) refused.push(item);
      else (urgent ? lane.urgent : lane.bulk).items.push(item);
    }
    this.dropped += refused.length;
    return refused;
  }

  /** The datagrams that may leave at `now`, urgent first, in order per lane, removed from the queue. */
  take(now: number): T[] {
    const out: T[] = [];
    for (const [key, lane] of this.lanes) {
      this.refill(lane, now);
      for (let item = peek(lane); item !== undefined; item = peek(lane)) {
        const cost = costOf(item);
        // one datagram larger than the whole bucket still goes, once the bucket is full
        if (lane.tokens < Math.min(cost, this.burst)) break;
        lane.tokens -= cost;
        queueOf(lane).head++;
        out.push(item);
      }
      if (waitingIn(lane.urgent) === 0) drain(lane.urgent);
      if (waitingIn(lane.bulk) === 0) {
        drain(lane.bulk);
        if (waitingIn(lane.urgent) === 0 && lane.tokens >= this.burst) this.lanes.delete(key); // idle and full
      }
    }
    return out;
  }

  /** When the next queued datagram may leave; undefined when nothing is queued. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const lane of this.lanes.values()) {
      const item = peek(lane);
      if (!item) continue;
      const need = Math.min(costOf(item), this.burst) - lane.tokens;
      const at = lane.at + Math.max(0, need) / this.rate;
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /** Datagrams waiting, all lanes. */
  get backlog(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += waiting(lane);
    return n;
  }

  /** Empties every lane (a shutdown's poison update supersedes all of it); returns what was queued. */
  clear(): T[] {
    const out: T[] = [];
    for (const lane of this.lanes.values()) out.push(...drain(lane.urgent), ...drain(lane.bulk));
    return out;
  }

  /** Empties the lanes of one interface (it went away); returns what they held. */
  discard(iface: string): T[] {
    const out: T[] = [];
    for (const [key, lane] of this.lanes) {
      if (!key.startsWith(`${iface} `)) continue;
      out.push(...drain(lane.urgent), ...drain(lane.bulk));
      this.lanes.delete(key);
    }
    return out;
  }

  private lane(item: T, now: number): Lane<T> {
    const key = `${item.interface} ${item.family}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { urgent: { items: [], head: 0 }, bulk: { items: [], head: 0 }, tokens: this.burst, at: now };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private refill(lane: Lane<T>, now: number): void {
    if (now > lane.at) {
      lane.tokens = Math.min(this.burst, lane.tokens + (now - lane.at) * this.rate);
      lane.at = now;
    }
  }
}
