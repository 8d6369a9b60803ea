/**
 * What may be announced right now (issue 8): a route with a health check only while it is healthy
 * (or with its worse `failMetric` while failing), and nothing at all while the maintenance file
 * exists. The daemon keeps what was asked for; the gate decides what the speaker says.
 */
import { existsSync } from "node:fs";
import type { HealthCheck } from "../health/config.js";
import { HealthMonitor } from "../health/monitor.js";
import type { Health, HealthState } from "../health/state.js";
import type { RouteSpec } from "../speaker/table.js";
import { Guard } from "./guard.js";
import type { Logger } from "./log.js";

/** What was asked for: the gate reads each route's spec and check here and keeps no copy (route-store.ts). */
export interface GateRoutes {
  get(prefix: string): (RouteSpec & { check?: HealthCheck | undefined }) | undefined;
  /** Every route asked for that has no check (config and socket), to send again after maintenance. */
  unchecked(): Iterable<RouteSpec>;
}

/** The wire (the speaker). */
export interface GateTarget {
  announce(spec: RouteSpec): void;
  withdraw(prefix: string): void;
  withdrawAll(): void;
  /** Something was announced or withdrawn, or a verdict flipped: wake the speaker, save the state. */
  changed(): void;
}

const MAINTENANCE_POLL_MS = 1000;

export class Gate {
  /** The checks running, by prefix: a prefix is "watched" while the monitor has it. */
  private readonly monitor: HealthMonitor;
  private inMaintenance = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly routes: GateRoutes,
    private readonly target: GateTarget,
    private readonly log: Logger,
    private maintenanceFile?: string,
    /** Faults in health callbacks and the maintenance poll are counted here; the daemon goes on. */
    private readonly guard: Guard = new Guard(log),
  ) {
    this.monitor = new HealthMonitor(
      (prefix, state) => this.healthChanged(prefix, state),
      (error) => this.guard.fault("health check", error),
    );
    this.inMaintenance = this.maintenanceFile !== undefined && existsSync(this.maintenanceFile);
    if (this.inMaintenance) this.log.warn({ file: this.maintenanceFile }, "maintenance: announcing nothing");
    this.pollWhileConfigured();
  }

  /** False while the maintenance file exists: nothing goes out. */
  get open(): boolean {
    return !this.inMaintenance;
  }

  setMaintenanceFile(file: string | undefined): void {
    this.maintenanceFile = file;
    this.pollMaintenance();
    this.pollWhileConfigured();
  }

  /**
   * Puts the route asked for at `prefix` on the wire as its check and maintenance allow, or takes it
   * off when nothing is asked for there any more. A route with a check is announced when the check
   * says so, withdrawn until then. `initial` is the verdict saved before a restart: a route healthy
   * then stays announced until its check fails `fall` times, as it would have without the restart,
   * instead of vanishing for `rise` intervals. A check that did not change keeps its verdict.
   */
  sync(prefix: string, initial?: Health): void {
    const route = this.routes.get(prefix);
    if (route?.check === undefined) {
      this.unwatch(prefix);
      if (route === undefined) this.target.withdraw(prefix);
      else if (!this.inMaintenance) this.target.announce(route);
      return;
    }
    this.monitor.watch(prefix, route.check, initial);
    this.apply(prefix);
  }

  /** Stops checking `prefix` and withdraws it (a route put up again is announced after). */
  private unwatch(prefix: string): void {
    if (!this.isWatched(prefix)) return;
    this.monitor.unwatch(prefix);
    this.target.withdraw(prefix);
  }

  isWatched(prefix: string): boolean {
    return this.monitor.state(prefix) !== undefined;
  }

  /** For `status`, `routes`, the metrics, and the verdicts saved with the state (see `sync`). */
  report(): { prefix: string; health: Health; since?: number; detail?: string }[] {
    return this.monitor.prefixes().map((prefix) => {
      const state = this.monitor.state(prefix);
      return {
        prefix,
        health: state?.health ?? "unknown",
        ...(state?.lastChangeAt === undefined ? {} : { since: state.lastChangeAt }),
        ...(state?.lastResult ? { detail: state.lastResult.detail } : {}),
      };
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.monitor.stop();
  }

  /** The file is looked for every second, but only when one is configured. */
  private pollWhileConfigured(): void {
    if (this.maintenanceFile === undefined) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
    } else if (!this.timer) {
      this.timer = setInterval(
        this.guard.wrap("maintenance poll", () => this.pollMaintenance()),
        MAINTENANCE_POLL_MS,
      );
      this.timer.unref();
    }
  }

  private healthChanged(prefix: string, state: HealthState): void {
    const detail = state.lastResult?.detail;
    if (state.health === "healthy") this.log.info({ prefix, detail }, "health check passing: announcing");
    else this.log.warn({ prefix, detail }, "health check failing: withdrawing");
    this.apply(prefix);
    this.target.changed();
  }

  private apply(prefix: string): void {
    const route = this.routes.get(prefix);
    if (route?.check === undefined || this.inMaintenance) return;
    const health = this.monitor.state(prefix)?.health ?? "unknown";
    if (health === "healthy") this.target.announce(route);
    else if (health === "failing" && route.check.failMetric !== undefined)
      this.target.announce({ ...route, metric: route.check.failMetric });
    else this.target.withdraw(prefix);
  }

  private pollMaintenance(): void {
    const now = this.maintenanceFile !== undefined && existsSync(this.maintenanceFile);
    if (now === this.inMaintenance) return;
    this.inMaintenance = now;
    if (now) {
      this.log.warn({ file: this.maintenanceFile }, "maintenance file present: withdrawing every route");
      this.target.withdrawAll();
    } else {
      this.log.info({ file: this.maintenanceFile }, "maintenance over: announcing again");
      for (const spec of this.routes.unchecked()) this.target.announce(spec);
      for (const prefix of this.monitor.prefixes()) this.apply(prefix);
    }
    this.target.changed();
  }
}
