/**
 * `riplet daemon`: config + SpeakerHost + control socket + state file. Composition only: the speaker
 * decides what goes on the wire, the host runs it, the control server parses requests, and this file
 * connects them and keeps the state file true after every change.
 */
import type { Server } from "node:net";
import { errorReply, type Reply, type Request } from "../control/protocol.js";
import { startControlServer, stopControlServer } from "../control/server.js";
import { type AdmitPolicy, admitRoute } from "./admit.js";
import type { DaemonConfig } from "./config.js";
import {
  announceConfigRoutes,
  type ConfigRoutesContext,
  replaceConfigRoutes,
  uncheckedConfigRoutes,
} from "./config-routes.js";
import { ControlOps } from "./control-ops.js";
import { Gate, type GateTarget } from "./gate.js";
import { monotonicMs, SpeakerHost } from "./host.js";
import type { Logger } from "./log.js";
import { MetricsEndpoint } from "./metrics.js";
import { heldRoutes } from "./reports.js";
import { type SocketRoute, SocketRoutes } from "./socket-routes.js";
import { loadState, type SavedState, writeStateAtomically } from "./state.js";
import { StateWriter } from "./state-writer.js";

export interface DaemonDeps {
  log: Logger;
  /** Reads and checks the config again (for reload); throws ConfigError. */
  loadConfig(): DaemonConfig;
  /** Resolves control.group to a gid. */
  groupId?(name: string): number;
}

export class Daemon {
  private host!: SpeakerHost;
  private server?: Server;
  private config: DaemonConfig;
  /** Routes that came over the socket (owners, metrics, checks): these are what the state file keeps. */
  private readonly dynamic = new SocketRoutes({
    speaker: () => this.host.speaker,
    gate: () => this.gate,
    now: monotonicMs,
  });
  private readonly ops: ControlOps;
  private savedSequence = 0;
  private metrics?: MetricsEndpoint;
  private gate!: Gate;

  constructor(private readonly deps: DaemonDeps) {
    this.config = deps.loadConfig();
    this.ops = new ControlOps({
      log: deps.log,
      config: () => this.config,
      policy: () => this.policy,
      speaker: () => this.host.speaker,
      gate: () => this.gate,
      socket: this.dynamic,
      changed: () => this.metrics?.changed(),
      wake: () => this.host.wake(),
      persist: () => this.persist(),
      reload: (id) => this.reload(id),
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
    const { state, problems } = loadState(this.config.state);
    for (const problem of problems) log.warn({ state: this.config.state }, problem);
    this.savedSequence = state.sequence;
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
      onInterfacesPolled: (names) => this.withdrawOrphans(names),
      afterSend: () => {
        this.saveSequence();
        this.metrics?.sent();
      },
    });
    // The control socket first: a second daemon must stop here, before it sends anything.
    this.server = await startControlServer({
      path: this.config.control.socket,
      mode: this.config.control.mode,
      gid: this.config.control.group ? this.deps.groupId?.(this.config.control.group) : undefined,
      handle: (request) => this.handle(request),
      onError: (error) => log.error({ err: error.message }, "control request failed"),
    });
    if (this.config.metrics) await this.startMetrics(this.config.metrics);
    this.gate = new Gate(this.gateTarget(), this.deps.log, this.config.maintenance);
    announceConfigRoutes(this.config, this.routeContext, state.health);
    this.restore(state);
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

  private async startMetrics({ host, port }: { host: string; port: number }): Promise<void> {
    try {
      this.metrics = await MetricsEndpoint.start(
        {
          speaker: () => this.host.speaker,
          health: () => this.gate?.report() ?? [],
          maintenance: () => this.gate !== undefined && !this.gate.open,
          held: () =>
            heldRoutes(this.host.speaker, { config: this.config.routes, socket: this.dynamic }).length,
        },
        host,
        port,
      );
    } catch (error) {
      if (this.server) await stopControlServer(this.server, this.config.control.socket);
      throw error;
    }
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`;
    this.deps.log.info({ url }, "metrics served");
  }

  private get routeContext(): ConfigRoutesContext {
    return { speaker: this.host.speaker, gate: this.gate, socket: this.dynamic, now: monotonicMs() };
  }

  private gateTarget(): GateTarget {
    const speaker = () => this.host.speaker;
    return {
      announce: (spec) => speaker().announce(spec, monotonicMs()),
      withdraw: (prefix) => speaker().withdraw(prefix, monotonicMs()),
      withdrawAll: () => speaker().withdrawAll(monotonicMs()),
      unchecked: () => [...uncheckedConfigRoutes(this.config), ...this.dynamic.unchecked()],
      changed: () => {
        this.host.wake();
        void this.persist(); // a verdict flipped: save it, so a restart resumes from it
      },
    };
  }

  /**
   * Saved routes come back at once (a checked one as its saved verdict says); one whose owner vanished
   * while we were down is withdrawn at the first link poll. Each is admitted again: the policy may
   * have changed while we were down.
   */
  private restore(state: SavedState): void {
    for (const saved of state.routes) {
      let route: SocketRoute;
      try {
        route = admitRoute(saved, this.policy);
      } catch (error) {
        this.deps.log.warn(
          { prefix: saved.prefix, reason: (error as Error).message },
          "saved route not restored",
        );
        continue;
      }
      this.dynamic.add(route, state.health?.[route.spec.prefix.text]);
    }
    this.deps.log.info({ routes: this.dynamic.size }, "restored saved routes");
  }

  /**
   * An owned route lives as long as its interface: QEMU killed with SIGKILL never runs its downscript,
   * but its tap disappears. Checked on every link poll (250 ms), which also catches owners that vanished
   * while the daemon was down or between two polls.
   */
  private withdrawOrphans(existing: ReadonlySet<string>): void {
    const owners = new Set([...this.host.speaker.table.owners(), ...this.dynamic.owners()]);
    const orphans = [...owners].filter((owner) => !existing.has(owner));
    if (orphans.length === 0) return;
    for (const owner of orphans) {
      const prefixes = this.dynamic.removeOwner(owner);
      this.deps.log.info({ owner, prefixes }, "owner interface gone, withdrawn");
    }
    this.host.wake();
    void this.persist();
  }

  private readonly writer = new StateWriter({
    snapshot: () => {
      const health: Record<string, "healthy" | "failing"> = {};
      for (const check of this.gate.report())
        if (check.health !== "unknown") health[check.prefix] = check.health;
      return { version: 1, routes: this.dynamic.saved(), sequence: this.host.speaker.sequence, health };
    },
    write: async (state) => {
      await writeStateAtomically(this.config.state, state);
      this.savedSequence = Math.max(this.savedSequence, state.sequence);
    },
    // Disk full or read-only: the last good file stays; announcing goes on.
    onError: (error) =>
      this.deps.log.error({ state: this.config.state, err: error.message }, "cannot write state file"),
  });

  /** Writes the state file soon; resolves when a write with every change made so far is done. */
  private persist(): Promise<void> {
    return this.writer.save();
  }

  private saveSequence(): void {
    if (this.host.speaker.sequence > this.savedSequence) void this.persist();
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
    replaceConfigRoutes(this.config, next, this.routeContext);
    this.config = next;
    await this.host.reconfigure(next.interfaces);
    this.deps.log.info(
      { routes: next.routes.length, interfaces: next.interfaces.map((i) => i.name) },
      "config reloaded",
    );
    return { id, ok: true };
  }

  async stop(): Promise<void> {
    if (this.server) await stopControlServer(this.server, this.config.control.socket);
    this.metrics?.close();
    this.gate?.stop();
    await this.host.stop(this.config.withdrawOnExit);
    if (!this.config.withdrawOnExit) await this.persist();
    await this.writer.flush();
    this.deps.log.info({ withdrawn: this.config.withdrawOnExit }, "daemon stopped");
  }
}
