/**
 * RIP's sockets, the only importer of node:dgram. Per family one wildcard socket on the RIP port
 * receives multicast (joined per interface); per interface one socket bound to the interface's address
 * sends (so updates leave from that address and port, as RFC 2453 §3.9.2 / RFC 2080 §2.4.2 require)
 * and receives what is unicast to it. Bytes in, bytes out: this module never parses a packet.
 */
import dgram from "node:dgram";
import { sameLinkState } from "../speaker/link-state.js";
import type { Family, Inbound, LinkState, SendAction } from "../speaker/types.js";
import {
  RIP_PORT,
  RIPNG_HOP_LIMIT,
  RIPNG_MULTICAST_GROUP,
  RIPNG_PORT,
  RIPV2_MULTICAST_GROUP,
  RIPV2_MULTICAST_TTL,
} from "../wire/constants.js";
import { Pacer } from "./pace.js";

export interface TransportEvents {
  receive(inbound: Inbound): void;
  /** A socket problem that did not stop the transport (bind failure on one link, send error). */
  error(info: { interface?: string; family: Family; operation: string; error: Error }): void;
  /** Datagrams the full output queue refused (already reported once per update through error). */
  dropped?(count: number): void;
}

/** A queued datagram and the send() call waiting for it. */
interface Outgoing extends SendAction {
  batch: { left: number; done: () => void };
}

interface LinkSockets {
  state: LinkState;
  /** A bind failed (address going away, DAD not done): try again on the next setLinks(). */
  incomplete?: boolean;
  ipv4?: dgram.Socket;
  ipv6?: dgram.Socket;
}

/**
 * Joins a multicast group; already being a member is fine. The kernel keys a membership by interface:
 * when the uplink's address changes, leaving with the old address fails (it is gone) and the old
 * membership stays, so joining with the new one says EADDRINUSE. Treating that as a failure left the
 * link without a sending socket, retried and failing on every poll (found by the uplink fault test).
 */
function joinGroup(join: () => void): void {
  try {
    join();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
  }
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once("error", onError);
    socket.bind({ port, address, exclusive: false }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

export class RipTransport {
  private wildcard4?: dgram.Socket;
  private wildcard6?: dgram.Socket;
  private readonly links = new Map<string, LinkSockets>();
  private readonly pacer = new Pacer<Outgoing>();
  private pumpTimer?: NodeJS.Timeout;

  constructor(
    private readonly events: TransportEvents,
    private readonly families: { ipv4: boolean; ipv6: boolean },
  ) {}

  /** Opens the wildcard receive sockets; throws if the ports cannot be bound (not root, in use). */
  async open(): Promise<void> {
    if (this.families.ipv4) {
      this.wildcard4 = this.socket("ipv4");
      await bind(this.wildcard4, RIP_PORT, "0.0.0.0");
    }
    if (this.families.ipv6) {
      this.wildcard6 = this.socket("ipv6");
      await bind(this.wildcard6, RIPNG_PORT, "::");
    }
  }

  private socket(family: Family, iface?: string): dgram.Socket {
    const socket =
      family === "ipv4"
        ? dgram.createSocket({ type: "udp4", reuseAddr: true })
        : dgram.createSocket({ type: "udp6", reuseAddr: true, ipv6Only: true });
    socket.on("message", (bytes, rinfo) => {
      // IPv6 link-local sources arrive with their zone ("fe80::1%eth0"); IPv4 is placed by subnet.
      this.events.receive({ family, bytes, source: rinfo.address, sourcePort: rinfo.port });
    });
    socket.on("error", (error) =>
      this.events.error({ interface: iface, family, operation: "socket", error }),
    );
    return socket;
  }

  /** Brings the per-link sockets and group memberships in line with the links as they are now. */
  async setLinks(states: readonly LinkState[]): Promise<void> {
    const wanted = new Map(states.map((s) => [s.name, s]));
    for (const [name, sockets] of this.links) {
      const next = wanted.get(name);
      if (!next || sockets.incomplete || !sameLinkState(next, sockets.state)) this.closeLink(name);
    }
    for (const state of states) if (!this.links.has(state.name)) await this.openLink(state);
  }

  private async openLink(state: LinkState): Promise<void> {
    const sockets: LinkSockets = { state };
    this.links.set(state.name, sockets);
    const v4 = state.ipv4[0]?.address;
    if (this.families.ipv4 && v4) {
      await this.attempt(sockets, "ipv4", "bind", async () => {
        const socket = this.socket("ipv4", state.name);
        await bind(socket, RIP_PORT, v4);
        socket.setMulticastInterface(v4);
        socket.setMulticastTTL(RIPV2_MULTICAST_TTL); // RFC 2453 §3.6 / BIRD: TTL 1
        socket.setMulticastLoopback(false);
        joinGroup(() => this.wildcard4?.addMembership(RIPV2_MULTICAST_GROUP, v4));
        sockets.ipv4 = socket;
      });
    }
    const ll = state.ipv6LinkLocal;
    if (this.families.ipv6 && ll) {
      await this.attempt(sockets, "ipv6", "bind", async () => {
        const socket = this.socket("ipv6", state.name);
        await bind(socket, RIPNG_PORT, `${ll}%${state.name}`);
        socket.setMulticastInterface(`::%${state.name}`);
        // RFC 2080 §2.5.1 and BIRD's TTL security: hop limit 255 on multicast and unicast alike.
        socket.setMulticastTTL(RIPNG_HOP_LIMIT);
        socket.setTTL(RIPNG_HOP_LIMIT);
        socket.setMulticastLoopback(false);
        joinGroup(() => this.wildcard6?.addMembership(RIPNG_MULTICAST_GROUP, `::%${state.name}`));
        sockets.ipv6 = socket;
      });
    }
  }

  private closeLink(name: string): void {
    const sockets = this.links.get(name);
    if (!sockets) return;
    this.links.delete(name);
    // what was still queued for it would only fail, one error per datagram
    for (const item of this.pacer.discard(name)) this.settled(item);
    const v4 = sockets.state.ipv4[0]?.address;
    // The membership may already be gone with the address or the interface; that is fine.
    if (sockets.ipv4 && v4) this.quietly(() => this.wildcard4?.dropMembership(RIPV2_MULTICAST_GROUP, v4));
    if (sockets.ipv6) this.quietly(() => this.wildcard6?.dropMembership(RIPNG_MULTICAST_GROUP, `::%${name}`));
    for (const socket of [sockets.ipv4, sockets.ipv6]) if (socket) this.quietly(() => socket.close());
  }

  private quietly(fn: () => void): void {
    try {
      fn();
    } catch {
      // nothing to do: the kernel already dropped what we were releasing
    }
  }

  private async attempt(sockets: LinkSockets, family: Family, operation: string, fn: () => Promise<void>) {
    try {
      await fn();
    } catch (error) {
      sockets.incomplete = true;
      this.events.error({ interface: sockets.state.name, family, operation, error: error as Error });
    }
  }

  /**
   * Sends each datagram from its interface's socket; a link without one is skipped and reported.
   * Resolves once every one of them has been handed to the kernel (or refused: link gone, lane full).
   * Never rejects: every failure (a socket closed under it, a bad address) is reported through
   * events.error and the rest is still sent, so a caller can fire and forget.
   * Paced (pace.ts): a few datagrams leave at once, the rest at a rate the gateway's small receive
   * buffer absorbs; unpaced, 10,000 routes' worth overflowed it and most were lost until the next
   * periodic update (issue 15).
   */
  send(actions: readonly SendAction[], urgent = false): Promise<void> {
    if (actions.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const batch = { left: actions.length, done: resolve };
      const refused = this.pacer.push(
        actions.map((action) => ({ ...action, batch })),
        performance.now(),
        urgent,
      );
      const first = refused[0];
      if (first) {
        this.events.dropped?.(refused.length);
        // one report per update, not per datagram: a flood of them must not become a flood of logs
        this.events.error({
          interface: first.interface,
          family: first.family,
          operation: "send",
          error: new Error(
            `output queue full (${this.pacer.backlog} datagrams waiting): ${refused.length} datagrams dropped (${this.pacer.dropped} since start)`,
          ),
        });
      }
      for (const item of refused) this.settled(item);
      this.pump();
    });
  }

  /** Sends what the pacer allows now and sleeps until it allows more. */
  private pump(): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    for (const item of this.pacer.take(performance.now())) {
      this.sendOne(item).then(() => this.settled(item));
    }
    const next = this.pacer.nextAt();
    if (next === undefined) return;
    // at least 1 ms: a timer cannot wait less, and a zero-delay loop would spin
    this.pumpTimer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(next - performance.now())));
  }

  private settled(item: Outgoing): void {
    if (--item.batch.left === 0) item.batch.done();
  }

  /**
   * Forgets every datagram still queued (their send() calls resolve): for a shutdown, whose poison
   * update carries every route and so supersedes them, and which should not wait behind them.
   */
  discardQueued(): void {
    for (const item of this.pacer.clear()) this.settled(item);
  }

  private sendOne(action: SendAction): Promise<void> {
    const report = (error: Error) =>
      this.events.error({ interface: action.interface, family: action.family, operation: "send", error });
    const socket = this.links.get(action.interface)?.[action.family];
    if (!socket) {
      report(new Error(`no ${action.family} socket on ${action.interface}`));
      return Promise.resolve();
    }
    const scoped =
      action.family === "ipv6" &&
      !action.destination.includes("%") &&
      /^(fe80:|ff02:)/i.test(action.destination)
        ? `${action.destination}%${action.interface}`
        : action.destination;
    return new Promise((resolve) => {
      try {
        socket.send(action.bytes, action.port, scoped, (error) => {
          if (error) report(error);
          resolve();
        });
      } catch (error) {
        // thrown at once: the socket was closed (link gone mid-burst) or the address is not one
        report(error instanceof Error ? error : new Error(String(error)));
        resolve();
      }
    });
  }

  close(): void {
    this.discardQueued();
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    for (const name of [...this.links.keys()]) this.closeLink(name);
    for (const socket of [this.wildcard4, this.wildcard6]) if (socket) this.quietly(() => socket.close());
  }
}
