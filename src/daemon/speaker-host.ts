/**
 * Runs a Speaker for real: its sockets, a watcher for interface changes, the timer that wakes it, and
 * logs. Composition only; the protocol lives in src/speaker and the sockets in src/transport. (Named
 * speaker-host, not host: in this tree "host" means the hypervisor's own plumbing, src/host.)
 */
import { type LinkMonitor, monitorLinks } from "../host/link-monitor.js";
import { MAX_SEQUENCE, SEQUENCE_EXHAUSTED_FIX } from "../speaker/sequence.js";
import { Speaker, type SpeakerOptions } from "../speaker/speaker.js";
import type { Inbound, SendAction, Update } from "../speaker/types.js";
import { interfaceNames, readLinks } from "../transport/interfaces.js";
import { RipTransport } from "../transport/udp.js";
import { Guard } from "./guard.js";
import { type Logger, RateLimiter } from "./log.js";

/**
 * How often interfaces are re-read: addresses appearing, links going away, taps deleted. Link events
 * (host/link-monitor.ts) trigger a re-read at once; the poll catches what they do not report.
 */
const LINK_POLL_MS = 250;
const DROP_LOG_WINDOW_MS = 60_000;
/** After tick() threw, when to try again: soon enough to keep announcing, never a busy loop. */
const TICK_RETRY_MS = 1000;

export interface HostOptions extends Omit<SpeakerOptions, "random" | "unixSeconds" | "events"> {
  log: Logger;
  families: { ipv4: boolean; ipv6: boolean };
  /** Called on every poll with the interfaces that exist now (owned routes whose owner is missing go). */
  onInterfacesPolled?(names: ReadonlySet<string>): void;
  /** Called after datagrams went out (the daemon persists the crypto sequence number). */
  afterSend?(): void;
  /** Catches and counts faults on every async path the host starts; one from `log` if absent. */
  guard?: Guard;
}

/** Monotonic milliseconds: timers must not jump with the wall clock. */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

export class SpeakerHost {
  readonly speaker: Speaker;
  readonly guard: Guard;
  /** The wake timer's callback, guarded once here rather than wrapped anew on every wake(). */
  private readonly onWakeGuarded: () => void;
  private readonly transport: RipTransport;
  private wakeTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private linkMonitor?: LinkMonitor;
  private readonly dropLog = new RateLimiter(DROP_LOG_WINDOW_MS);
  private stopped = false;
  /** A periodic update is still leaving (paced): only triggered updates may start meanwhile. */
  private periodicLeaving = false;
  /** A triggered update is still leaving: the next update of any kind waits for it. */
  private triggeredLeaving = false;

  /** updateSent() callers: each waits for an update numbered above `taken` to be handed to the kernel. */
  private sentWaiters: { taken: number; resolve: () => void }[] = [];

  constructor(private readonly options: HostOptions) {
    const log = options.log;
    this.guard = options.guard ?? new Guard(log);
    this.onWakeGuarded = this.guard.wrap("tick", () => this.onWake());
    this.speaker = new Speaker(
      {
        ...options,
        random: Math.random,
        unixSeconds: () => Date.now() / 1000,
        events: {
          drop: ({ neighbor, reason, detail }) => {
            // Refused Requests come from any (forged) source: one line per reason and interface a
            // minute, not one per source, or a flood of them becomes a flood of log lines.
            const who = reason.startsWith("REQUEST_") ? neighbor.interface : neighbor.address;
            const suppressed = this.dropLog.allow(`${who} ${reason}`, monotonicMs());
            if (suppressed < 0) return;
            log.warn(
              { neighbor: neighbor.address, interface: neighbor.interface, reason, detail, suppressed },
              "dropped packet",
            );
          },
          badRoutes: ({ neighbor, routes }) => {
            if (this.dropLog.allow(`${neighbor.address} routes`, monotonicMs()) < 0) return;
            log.warn({ neighbor: neighbor.address, interface: neighbor.interface, routes }, "skipped routes");
          },
          routeLimit: ({ neighbor, routes }) => {
            const suppressed = this.dropLog.allow(`${neighbor.address} ROUTE_LIMIT`, monotonicMs());
            if (suppressed < 0) return;
            log.warn(
              { neighbor: neighbor.address, interface: neighbor.interface, routes, suppressed },
              "learned routes at limits.learnedRoutes: new routes not remembered",
            );
          },
          sequenceExhausted: ({ sequence }) =>
            log.error(
              { sequence },
              `crypto sequence number exhausted (RFC 4822 §3): it stays at ${MAX_SEQUENCE}, replay protection is gone and peers that want a higher number drop our updates; ${SEQUENCE_EXHAUSTED_FIX}`,
            ),
        },
      },
      monotonicMs(),
    );
    this.transport = new RipTransport(
      {
        receive: (inbound) => this.receive(inbound),
        error: ({ interface: iface, family, operation, error }) =>
          log.error({ interface: iface, family, operation, err: error.message }, "socket error"),
        dropped: (count) => {
          this.speaker.counters.outputQueueDrops += count;
        },
      },
      options.families,
    );
  }

  /**
   * One datagram from the network. Whatever it is, it must not stop the daemon: a fault in handling
   * it is counted as a drop and by the guard (logged rate-limited, with the sender), and announcing
   * goes on. An answer is sent at once; when the transport is done, the speaker may start another.
   */
  private receive(inbound: Inbound): void {
    let answer: SendAction[];
    try {
      answer = this.speaker.receive(inbound, monotonicMs());
    } catch (error) {
      this.speaker.counters.packetsDropped++;
      const message = error instanceof Error ? error.message : String(error);
      const fault = new Error(`datagram from ${inbound.source} port ${inbound.sourcePort}: ${message}`);
      if (error instanceof Error) fault.stack = error.stack;
      this.guard.fault("receive", fault);
      return;
    }
    if (answer.length === 0) return;
    this.guard.run("send answer", async () => {
      try {
        await this.send(answer);
      } finally {
        this.speaker.answerDone(answer);
      }
    });
  }

  async start(): Promise<void> {
    await this.transport.open();
    await this.refreshLinks();
    this.pollTimer = setInterval(
      this.guard.wrap("link poll", () => this.refreshLinks()),
      LINK_POLL_MS,
    );
    this.pollTimer.unref();
    this.linkMonitor = monitorLinks(
      this.guard.wrap("link monitor", () => this.refreshLinks()),
      (message) => this.options.log.warn(message),
    );
    this.wake();
  }

  /** New interface settings from a config reload. */
  async reconfigure(interfaces: HostOptions["interfaces"]): Promise<void> {
    this.options.interfaces = interfaces;
    this.speaker.reconfigure(interfaces);
    await this.refreshLinks();
  }

  private refreshing = false;
  private refreshAgain = false;

  /**
   * Re-reads interfaces; tells the speaker and transport, and the owner of the host which exist.
   * Refreshes never overlap; one asked for during another runs right after it (a link event must not
   * wait for the next poll).
   */
  async refreshLinks(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        await this.refreshLinksNow();
      } while (this.refreshAgain && !this.stopped);
    } finally {
      this.refreshing = false;
    }
  }

  private async refreshLinksNow(): Promise<void> {
    this.options.onInterfacesPolled?.(interfaceNames());
    const links = readLinks(this.options.interfaces.map((i) => i.name));
    await this.transport.setLinks(links);
    const before = new Set(this.speaker.linkStates().map((l) => l.name));
    const takenBefore = this.speaker.updatesTaken;
    const actions = this.speaker.setLinks(links);
    const taken = this.speaker.updatesTaken > takenBefore ? this.speaker.updatesTaken : undefined;
    await this.sendUpdate({ actions, urgent: [], taken }).all;
    for (const link of links) {
      if (!before.has(link.name)) this.options.log.info({ interface: link.name, ...link }, "interface up");
    }
    this.wake();
  }

  /**
   * Sends and re-arms the timer; call after anything that may change what is due. The transport never
   * rejects; afterSend (the daemon's state write) may, and that is the caller's guard's to count.
   * `urgent` datagrams (Update.urgent) go ahead of those already queued.
   */
  async send(actions: SendAction[], urgent = false): Promise<void> {
    try {
      if (actions.length > 0) {
        await this.transport.send(actions, urgent);
        this.options.afterSend?.();
      }
    } finally {
      this.wake();
    }
  }

  /** Arms one timer for the speaker's next due time (a due periodic waits while one is leaving). */
  wake(): void {
    if (this.stopped) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    const at = this.speaker.nextWakeAt({ periodic: !this.periodicLeaving });
    if (at === Number.POSITIVE_INFINITY) return; // the periodic's end wakes us
    this.wakeTimer = setTimeout(this.onWakeGuarded, Math.max(0, at - monotonicMs()));
  }

  /** The timer fired: whatever is due goes out. If tick() throws, retry in a second, not at once. */
  private async onWake(): Promise<void> {
    // BIRD's rule (proto/rip/rip.c rip_iface_timer): no new update while the previous one is still
    // leaving. Changes made meanwhile wait in the table's change set, where a later change of a prefix
    // replaces an earlier one, so updates never pile up in the transport's queue; the end of the one
    // leaving wakes us again. One exception: a triggered update does not wait for a periodic one to
    // leave (at 100,000 routes that takes seconds): its fresh routes go ahead of the periodic's
    // datagrams (Update.urgent), the rest queues behind them. Answers to Requests never hold updates
    // back (a Request flood must not starve our announcements); the Request policy bounds them.
    if (this.triggeredLeaving) return;
    let update: Update;
    try {
      update = this.speaker.update(monotonicMs(), { periodic: !this.periodicLeaving });
    } catch (error) {
      if (!this.stopped) this.wakeTimer = setTimeout(this.onWakeGuarded, TICK_RETRY_MS);
      throw error;
    }
    const triggered = update.kind === "triggered";
    const flag = triggered ? "triggeredLeaving" : "periodicLeaving";
    // Behind a periodic, a triggered update's queued part holds nothing back; its urgent part does.
    const behindPeriodic = triggered && this.periodicLeaving;
    if (update.kind !== "none") this[flag] = true;
    const { urgent, all } = this.sendUpdate(update);
    try {
      // errors surface once, from `all` below (urgent's rejection rejects it too)
      await (behindPeriodic ? urgent : all).catch(() => undefined);
    } finally {
      if (update.kind !== "none") this[flag] = false;
      this.wake(); // send() re-armed the timer while the flag still held
    }
    await all;
  }

  /**
   * Sends an update the speaker built: its urgent part ahead of what is queued, the rest behind. Once
   * both have left, whoever waited for the changes it took is told.
   */
  private sendUpdate(update: Pick<Update, "actions" | "urgent" | "taken">): {
    urgent: Promise<void>;
    all: Promise<void>;
  } {
    const urgent = this.send(update.urgent, true);
    const all = Promise.all([urgent, this.send(update.actions)]).then(() => undefined);
    return {
      urgent,
      all: all.finally(() => {
        if (update.taken !== undefined) this.releaseWaiters(update.taken);
      }),
    };
  }

  /**
   * Tells the waiters whose changes update number `taken` carried: those that noted taken − 1. Not
   * "every waiter below": a triggered update may leave before the periodic update taken before it.
   */
  private releaseWaiters(taken: number): void {
    if (this.sentWaiters.length === 0) return;
    const still = [];
    for (const waiter of this.sentWaiters) {
      if (waiter.taken === taken - 1) waiter.resolve();
      else still.push(waiter);
    }
    this.sentWaiters = still;
  }

  /**
   * Resolves once the update carrying every change made so far has been handed to the kernel (the
   * socket's send callback), or at once when no update is pending (nothing changed). The hook op
   * awaits it before forking `ip`, so the datagram leaves first (issue 15).
   */
  updateSent(): Promise<void> {
    if (!this.speaker.updatePending || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.sentWaiters.push({ taken: this.speaker.updatesTaken, resolve }));
  }

  /** Sends the withdrawal of every route (when asked to), then closes everything. */
  async stop(withdraw: boolean): Promise<void> {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.linkMonitor?.stop();
    // the poison update carries every route: what is still queued is superseded, not waited for
    this.transport.discardQueued();
    if (withdraw) await this.transport.send(this.speaker.shutdown(monotonicMs()));
    this.transport.close();
    for (const waiter of this.sentWaiters) waiter.resolve();
    this.sentWaiters = [];
  }
}
