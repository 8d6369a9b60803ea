/**
 * `riplet daemon`: config + SpeakerHost + control socket + state file. Composition only: the speaker
 * decides what goes on the wire, the host runs it, the control server parses requests, and this file
 * connects them and keeps the state file true after every change.
 */
import type { Server } from "node:net";
import { type ErrorCode, errorReply, type Reply, type Request, type RouteIn } from "../control/protocol.js";
import { startControlServer, stopControlServer } from "../control/server.js";
import { admitPrefix, type Policy } from "../speaker/policy.js";
import { PrefixError } from "../speaker/prefix.js";
import type { RouteSpec } from "../speaker/table.js";
import { interfaceNames } from "../transport/interfaces.js";
import type { DaemonConfig } from "./config.js";
import { Gate, type GateTarget } from "./gate.js";
import { handleHook } from "./hook-op.js";
import { monotonicMs, SpeakerHost } from "./host.js";
import type { Logger } from "./log.js";
import { MetricsEndpoint } from "./metrics.js";
import { routesReport, statusReport } from "./reports.js";
import { loadState, type SavedRoute, writeStateAtomically } from "./state.js";
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
  /** Routes that came over the socket (owners, metrics): these are what the state file keeps. */
  private readonly dynamic = new Map<string, RouteSpec>();
  private savedSequence = 0;
  private metrics?: MetricsEndpoint;
  private gate!: Gate;

  constructor(private readonly deps: DaemonDeps) {
    this.config = deps.loadConfig();
  }

  private get policy(): Policy {
    return { allow: this.config.allow, allowDefault: this.config.allowDefault };
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
    this.announceConfigRoutes(this.config);
    this.restore(state.routes);
    try {
      await this.host.start();
    } catch (error) {
      await stopControlServer(this.server, this.config.control.socket);
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

  /** Config routes: a checked one goes through its health check, the rest out at once (gate open). */
  private announceConfigRoutes(config: DaemonConfig): void {
    const now = monotonicMs();
    for (const route of config.routes) {
      const check = config.checks.get(route.prefix.text);
      if (check) this.gate.watch(route, check);
      else if (this.gate.open) this.host.speaker.announce(route, now);
    }
  }

  private gateTarget(): GateTarget {
    const speaker = () => this.host.speaker;
    return {
      announce: (spec) => speaker().announce(spec, monotonicMs()),
      withdraw: (prefix) => speaker().withdraw(prefix, monotonicMs()),
      withdrawAll: () => speaker().withdrawAll(monotonicMs()),
      unchecked: () => [
        ...this.config.routes.filter((r) => !this.config.checks.has(r.prefix.text)),
        ...this.dynamic.values(),
      ],
      changed: () => this.host.wake(),
    };
  }

  /** Saved routes come back at once; one whose owner vanished while we were down is withdrawn. */
  private restore(routes: SavedRoute[]): void {
    const now = monotonicMs();
    for (const saved of routes) {
      let spec: RouteSpec;
      try {
        spec = { ...saved, prefix: admitPrefix(saved.prefix, this.policy) };
      } catch (error) {
        this.deps.log.warn(
          { prefix: saved.prefix, reason: (error as Error).message },
          "saved route not restored",
        );
        continue;
      }
      this.dynamic.set(spec.prefix.text, spec);
      if (this.gate.open) this.host.speaker.announce(spec, now);
    }
    this.deps.log.info({ routes: this.dynamic.size }, "restored saved routes");
  }

  /**
   * An owned route lives as long as its interface: QEMU killed with SIGKILL never runs its downscript,
   * but its tap disappears. Checked on every link poll (250 ms), which also catches owners that vanished
   * while the daemon was down or between two polls.
   */
  private withdrawOrphans(existing: ReadonlySet<string>): void {
    const now = monotonicMs();
    const orphans = [...this.host.speaker.table.owners()].filter((owner) => !existing.has(owner));
    if (orphans.length === 0) return;
    for (const owner of orphans) {
      const gone = this.host.speaker.withdrawOwner(owner, now);
      for (const route of gone) this.dynamic.delete(route.prefix.text);
      this.deps.log.info(
        { owner, prefixes: gone.map((r) => r.prefix.text) },
        "owner interface gone, withdrawn",
      );
    }
    this.host.wake();
    void this.persist();
  }

  private readonly writer = new StateWriter({
    snapshot: () => ({
      version: 1,
      routes: [...this.dynamic.values()].map((r) => ({
        prefix: r.prefix.text,
        metric: r.metric,
        tag: r.tag,
        ...(r.owner ? { owner: r.owner } : {}),
        ...(r.nextHop ? { nextHop: r.nextHop } : {}),
      })),
      sequence: this.host.speaker.sequence,
    }),
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

  async handle(request: Request): Promise<Reply> {
    switch (request.op) {
      case "announce":
        return this.announce(request.id, request.routes);
      case "withdraw":
        return this.withdraw(request.id, request.prefixes, request.owner);
      case "hook":
        return handleHook(request, {
          config: this.config,
          admit: (id, routes) => this.admit(id, routes),
          announce: (id, specs) => this.announceSpecs(id, specs),
          withdrawOwner: (id, owner) => this.withdraw(id, undefined, owner),
        });
      case "routes":
        return { id: request.id, ok: true, routes: routesReport(this.host.speaker, this.dynamic) };
      case "status":
        return {
          id: request.id,
          ok: true,
          ...statusReport(this.host.speaker, this.config),
          maintenance: !this.gate.open,
          healthChecks: this.gate.report(),
        };
      case "reload":
        return this.reload(request.id);
    }
  }

  private async announce(id: Request["id"], routes: RouteIn[]): Promise<Reply> {
    const specs = this.admit(id, routes);
    return Array.isArray(specs) ? this.announceSpecs(id, specs) : specs;
  }

  /** Routes as the policy admits them (owners must exist), or the refusal to send back. */
  private admit(id: Request["id"], routes: RouteIn[]): RouteSpec[] | Reply {
    let specs: RouteSpec[];
    try {
      specs = routes.map((r) => ({
        prefix: admitPrefix(r.prefix, this.policy),
        metric: r.metric ?? 1,
        tag: r.tag ?? 0,
        ...(r.owner ? { owner: r.owner } : {}),
        ...(r.nextHop ? { nextHop: r.nextHop } : {}),
      }));
    } catch (error) {
      if (error instanceof PrefixError) return errorReply(id, error.code as ErrorCode, error.message);
      throw error;
    }
    const missing = specs.find((s) => s.owner !== undefined && !interfaceNames().has(s.owner));
    if (missing) {
      return errorReply(
        id,
        "BAD_REQUEST",
        `owner ${missing.owner} does not exist; an owned route is withdrawn when its interface goes, so it must exist first`,
      );
    }
    return specs;
  }

  /**
   * The change goes on the wire first (the triggered update is due in FAST_COALESCE_MS) and is written
   * meanwhile; the reply waits for the write. A busy hypervisor's disk can take tens of milliseconds
   * to fsync, and twenty hosts' worth of VMs starting together showed it (issue 6).
   */
  private async announceSpecs(id: Request["id"], specs: RouteSpec[]): Promise<Reply> {
    const now = monotonicMs();
    // in maintenance the request is kept (and persisted), and goes out when maintenance ends
    const changed = this.gate.open ? specs.filter((spec) => this.host.speaker.announce(spec, now)) : [];
    for (const spec of specs) this.dynamic.set(spec.prefix.text, spec);
    if (changed.length > 0) this.metrics?.changed();
    this.host.wake();
    await this.persist();
    if (changed.length > 0)
      this.deps.log.info(
        { prefixes: changed.map((s) => s.prefix.text), owner: specs[0]?.owner },
        "announced",
      );
    return { id, ok: true, announced: specs.map((s) => s.prefix.text) };
  }

  private async withdraw(
    id: Request["id"],
    prefixes: string[] | undefined,
    owner: string | undefined,
  ): Promise<Reply> {
    const now = monotonicMs();
    let withdrawn: string[];
    if (owner !== undefined) {
      withdrawn = this.host.speaker.withdrawOwner(owner, now).map((r) => r.prefix.text);
    } else {
      withdrawn = [];
      for (const text of prefixes ?? []) {
        let key = text;
        try {
          key = admitPrefix(text, { allowDefault: true }).text;
        } catch (error) {
          if (error instanceof PrefixError) return errorReply(id, error.code as ErrorCode, error.message);
          throw error;
        }
        if (this.host.speaker.withdraw(key, now)) withdrawn.push(key);
      }
    }
    for (const key of withdrawn) this.dynamic.delete(key);
    if (withdrawn.length > 0) this.metrics?.changed();
    this.host.wake();
    await this.persist();
    if (withdrawn.length > 0) this.deps.log.info({ prefixes: withdrawn, owner }, "withdrawn");
    return { id, ok: true, withdrawn };
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
    const now = monotonicMs();
    const nextStatic = new Set(next.routes.map((r) => r.prefix.text));
    for (const old of this.config.routes) {
      if (!nextStatic.has(old.prefix.text) && !this.dynamic.has(old.prefix.text))
        this.host.speaker.withdraw(old.prefix.text, now);
    }
    for (const prefix of this.gate.watchedPrefixes()) if (!next.checks.has(prefix)) this.gate.unwatch(prefix);
    this.gate.setMaintenanceFile(next.maintenance);
    this.announceConfigRoutes(next);
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
