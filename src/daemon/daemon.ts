/**
 * `riplet daemon`: config + SpeakerHost + control socket + state file. Composition only: the speaker
 * decides what goes on the wire, the host runs it, the control server parses requests, the state
 * keeper (state-keeper.ts) keeps the state file true, and this file connects them and says when.
 */
import { dirname, join } from "node:path";
import { errorReply, type Reply, type Request } from "../control/protocol.js";
import { type ControlServer, startControlServer, stopControlServer } from "../control/server.js";
import { GuestServers } from "../guests/servers.js";
import { interfaceExists } from "../host/tap.js";
import type { AdmitPolicy } from "./admit.js";
import { ConfigError, type DaemonConfig } from "./config.js";
import { announceConfigRoutes, replaceConfigRoutes } from "./config-routes.js";
import { ControlOps } from "./control-ops.js";
import { Gate, type GateTarget } from "./gate.js";
import { Guard } from "./guard.js";
import { type Logger, RateLimiter } from "./log.js";
import { MetricsEndpoint } from "./metrics.js";
import { checkPrivateDir } from "./paths.js";
import { heldRoutes } from "./reports.js";
import { RouteStore } from "./route-store.js";
import { monotonicMs, SpeakerHost } from "./speaker-host.js";
import { StateKeeper } from "./state-keeper.js";

export interface DaemonDeps {
  log: Logger;
  /** Reads and checks the config again (for reload); throws ConfigError. */
  loadConfig(): DaemonConfig;
  /** Resolves control.group to a gid. */
  groupId?(name: string): number;
  /**
   * `daemon --replace`: asks a daemon answering on the socket to hand over and waits for it to exit;
   * nothing to do when none answers. Throws when it refuses or does not exit.
   */
  takeOver?(socket: string): Promise<void>;
}

/** One log line per refusal reason a minute; `status` keeps the counts. */
const REFUSAL_LOG_WINDOW_MS = 60_000;

export class Daemon {
  /**
   * The one wrapper for every async path the daemon starts (issue 13 item 9): pass it to everything
   * that runs on a timer, an event or a callback. `status` and the metrics show its counts.
   */
  readonly guard: Guard;
  private host!: SpeakerHost;
  private server?: ControlServer;
  private readonly refusalLog = new RateLimiter(REFUSAL_LOG_WINDOW_MS);
  private config: DaemonConfig;
  /** Every route asked for, config and socket, with owners and checks; the state file keeps the socket's. */
  private readonly routes = new RouteStore({
    gate: () => this.gate,
    table: () => this.host.speaker.table,
  });
  private readonly ops: ControlOps;
  /** The state file (state-keeper.ts): the socket's routes, the verdicts, the sequence number. */
  private readonly stateFile: StateKeeper;
  private metrics?: MetricsEndpoint;
  private gate!: Gate;
  /** The taps' DHCP/RA servers; their files live next to the state file, so they survive restarts. */
  readonly guests: GuestServers;
  /** Resolves when a new daemon asked us to hand over (`handover` op): the caller then stops us, keeping routes. */
  readonly handedOver: Promise<void>;
  private handOver!: () => void;

  constructor(private readonly deps: DaemonDeps) {
    this.config = deps.loadConfig();
    this.guard = new Guard(deps.log);
    this.stateFile = new StateKeeper({
      log: deps.log,
      guard: this.guard,
      path: () => this.config.state,
      routes: this.routes,
      sequence: () => this.host.speaker.sequence,
      checks: () => this.gate.report(),
    });
    this.handedOver = new Promise((resolve) => {
      this.handOver = resolve;
    });
    this.guests = new GuestServers({
      dir: join(dirname(this.config.state), "guests"),
      log: deps.log,
      run: (place, fn) => this.guard.run(place, fn),
      exists: interfaceExists,
    });
    this.ops = new ControlOps({
      log: deps.log,
      config: () => this.config,
      policy: () => this.policy,
      speaker: () => this.host.speaker,
      gate: () => this.gate,
      routes: this.routes,
      changed: () => this.metrics?.changed(),
      wake: () => this.host.wake(),
      updateSent: () => this.host.updateSent(),
      persist: () => this.stateFile.persist(),
      reload: (id) => this.reload(id),
      handover: async (id) => {
        this.deps.log.info({}, "handover asked by a new riplet daemon");
        this.handOver(); // the stop waits for this reply to be written (server.ts gives clients a second)
        return { id, ok: true, pid: process.pid };
      },
      control: () => this.server?.counters,
      internalErrors: () => ({ total: this.guard.total, byPlace: { ...this.guard.errors } }),
      guests: this.guests,
    });
  }

  private get policy(): AdmitPolicy {
    return {
      allow: this.config.allow,
      allowDefault: this.config.allowDefault,
      allowCommandChecks: this.config.control.allowCommandChecks,
    };
  }

  async start(): Promise<void> {
    const { log } = this.deps;
    this.checkDirectories();
    // before the state file is read: the old daemon writes its last state as it hands over
    await this.deps.takeOver?.(this.config.control.socket);
    const state = this.stateFile.load();
    this.host = new SpeakerHost({
      interfaces: this.config.interfaces,
      families: {
        ipv4: this.config.interfaces.some((i) => i.ipv4),
        ipv6: this.config.interfaces.some((i) => i.ipv6),
      },
      timers: this.config.timers,
      triggered: this.config.triggered,
      initialSequence: state.sequence,
      log,
      guard: this.guard,
      limits: this.config.limits,
      onInterfacesPolled: this.guard.wrap("link poll", (names: ReadonlySet<string>) =>
        this.withdrawOrphans(names),
      ),
      afterSend: this.guard.wrap("after send", () => {
        this.stateFile.sent();
        this.metrics?.sent();
      }),
    });
    // The control socket first: a second daemon must stop here, before it sends anything.
    this.server = await startControlServer({
      path: this.config.control.socket,
      mode: this.config.control.mode,
      gid: this.config.control.group ? this.deps.groupId?.(this.config.control.group) : undefined,
      handle: (request) => this.handle(request),
      onError: (error) => this.guard.fault("control request", error),
      limits: this.config.limits,
      onRefused: (reason, detail) => {
        const suppressed = this.refusalLog.allow(reason, monotonicMs());
        if (suppressed >= 0) log.warn({ reason, detail, suppressed }, "control client refused");
      },
    });
    if (this.config.metrics) await this.startMetrics(this.config.metrics);
    this.gate = new Gate(this.routes, this.gateTarget(), this.deps.log, this.config.maintenance, this.guard);
    announceConfigRoutes(this.routes, this.config, state.health);
    this.stateFile.restore(state, this.policy);
    await this.guests.restore();
    try {
      await this.host.start();
    } catch (error) {
      await stopControlServer(this.server, this.config.control.socket);
      this.metrics?.close();
      this.gate.stop();
      await this.host.stop(false);
      throw error;
    }
    log.info(
      {
        socket: this.config.control.socket,
        interfaces: this.config.interfaces.map((i) => i.name),
        routes: this.host.speaker.table.size - this.host.speaker.table.withdrawingCount,
      },
      "daemon started",
    );
  }

  /**
   * The state file's and the socket's directories must be private before anything is read from or
   * written to them (paths.ts): refused like a config error, since the config is where it is fixed.
   */
  private checkDirectories(): void {
    try {
      checkPrivateDir(dirname(this.config.state), "state");
      checkPrivateDir(dirname(this.config.control.socket), "socket");
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
  }

  private async startMetrics({ host, port }: { host: string; port: number }): Promise<void> {
    try {
      this.metrics = await MetricsEndpoint.start(
        {
          speaker: () => this.host.speaker,
          health: () => this.gate?.report() ?? [],
          maintenance: () => this.gate !== undefined && !this.gate.open,
          held: () => heldRoutes(this.host.speaker, this.routes).length,
          control: () => this.server?.counters,
          internalErrors: () => this.guard.errors,
          guests: () => this.guests.report(),
        },
        host,
        port,
        this.guard,
      );
    } catch (error) {
      if (this.server) await stopControlServer(this.server, this.config.control.socket);
      throw error;
    }
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`;
    this.deps.log.info({ url }, "metrics served");
  }

  private gateTarget(): GateTarget {
    const speaker = () => this.host.speaker;
    return {
      announce: (spec) => speaker().announce(spec, monotonicMs()),
      withdraw: (prefix) => speaker().withdraw(prefix, monotonicMs()),
      withdrawAll: () => speaker().withdrawAll(monotonicMs()),
      changed: () => {
        this.host.wake();
        this.stateFile.persistSoon(); // a verdict flipped: save it, so a restart resumes from it
      },
    };
  }

  /**
   * An owned route lives as long as its interface: QEMU killed with SIGKILL never runs its downscript,
   * but its tap disappears. Checked on every link poll (250 ms), which also catches owners that vanished
   * while the daemon was down or between two polls.
   */
  private withdrawOrphans(existing: ReadonlySet<string>): void {
    this.guests.poll(existing);
    const orphans = [...this.routes.owners()].filter((owner) => !existing.has(owner));
    if (orphans.length === 0) return;
    for (const owner of orphans) {
      const prefixes = this.routes.removeOwner(owner);
      this.deps.log.info({ owner, prefixes }, "owner interface gone, withdrawn");
    }
    this.host.wake();
    this.stateFile.persistSoon();
  }

  handle(request: Request): Promise<Reply> {
    return this.ops.handle(request);
  }

  /** Re-reads the config: interfaces and static routes change, announced routes stay. */
  async reload(id: Request["id"] | null): Promise<Reply> {
    let next: DaemonConfig;
    try {
      next = this.deps.loadConfig();
    } catch (error) {
      this.deps.log.error(
        { err: (error as Error).message },
        "reload refused: config has errors; keeping the running one",
      );
      return errorReply(id, "CONFIG_ERROR", (error as Error).message);
    }
    replaceConfigRoutes(this.routes, this.gate, next);
    this.config = next;
    await this.host.reconfigure(next.interfaces);
    this.deps.log.info(
      { routes: next.routes.length, interfaces: next.interfaces.map((i) => i.name) },
      "config reloaded",
    );
    return { id, ok: true };
  }

  /**
   * Withdraws every route (unless withdrawOnExit: false), then closes everything. The withdrawal goes
   * out first: the last-resort path (an uncaught fault) gives this about a second, and poisoning the
   * gateway's routes is what matters most in it. With `keepRoutes` (a restart job, a handover: a new
   * riplet follows at once) nothing is withdrawn, the state is saved, and `keepRoutes` is logged as why.
   */
  async stop(keepRoutes?: string): Promise<void> {
    const withdraw = keepRoutes === undefined && this.config.withdrawOnExit;
    if (keepRoutes !== undefined) this.deps.log.info({}, keepRoutes);
    // No new clients from here; the ones connected get up to a second (server.ts), not waited on first.
    const closing = this.server ? stopControlServer(this.server, this.config.control.socket) : undefined;
    this.gate?.stop();
    await this.host?.stop(withdraw);
    this.metrics?.close();
    if (!withdraw) await this.stateFile.persist();
    await this.stateFile.close();
    await closing;
    this.deps.log.info({ withdrawn: withdraw }, "daemon stopped");
  }
}
