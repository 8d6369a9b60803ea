/**
 * One dnsmasq per tap that serves guests (SPEC §6): started by the hook's up, stopped by its down or
 * when the tap vanishes (QEMU killed), restarted with a backoff when it dies, and taken over by the
 * next daemon after a restart. One process per tap rather than one for all: dnsmasq cannot add an
 * interface's ranges without a restart (SIGHUP re-reads hosts files, not --dhcp-range), so a shared
 * one would drop every VM's service whenever one VM starts; a per-tap one costs ~5 MB of RSS and
 * starts in tens of milliseconds (docs/BENCHMARKS.md).
 */

import { readFileSync } from "node:fs";
import type { TapAddress } from "../host/addresses.js";
import { type Lease, parseLeases } from "./leases.js";
import { dnsmasqArgs, type GuestSettings } from "./plan.js";
import {
  isOurServer,
  lastLogLine,
  readPid,
  requireDnsmasq,
  type ServerProcess,
  startServer,
  stopServer,
} from "./process.js";
import {
  type GuestRecord,
  readRecords,
  removeRecord,
  type TapFiles,
  tapFiles,
  writeRecord,
} from "./records.js";

interface GuestLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface GuestServersDeps {
  /** `<state dir>/guests`: records, lease files, pid files, logs. */
  dir: string;
  log: GuestLog;
  /** Runs a callback nobody awaits, catching and counting its faults (daemon/guard.ts). */
  run(place: string, fn: () => Promise<void>): void;
  /** Whether an interface exists now. */
  exists(ifname: string): boolean;
}

export interface GuestReport {
  tap: string;
  dhcp: boolean;
  ra: boolean;
  dns: string[];
  running: boolean;
  pid: number | null;
  restarts: number;
  lastError: string | null;
  leases: Lease[];
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A server that ran this long was healthy: its next failure starts the backoff again. */
const HEALTHY_MS = 60_000;

interface TapServer {
  record: GuestRecord;
  files: TapFiles;
  process?: ServerProcess;
  startedAt: number;
  restarts: number;
  backoffMs: number;
  restartTimer?: NodeJS.Timeout;
  lastError?: string;
}

export class GuestServers {
  private readonly servers = new Map<string, TapServer>();
  /** Per tap, the operation in flight: up, down and restarts of one tap never interleave. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: GuestServersDeps) {}

  private serial(ifname: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(ifname) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => {});
    this.queues.set(ifname, tail);
    void tail.then(() => {
      if (this.queues.get(ifname) === tail) this.queues.delete(ifname);
    });
    return next;
  }

  /** Throws what up() would refuse (GuestPlanError, GuestServerError), without starting anything. */
  check(ifname: string, addresses: TapAddress[], settings: GuestSettings): void {
    dnsmasqArgs(ifname, addresses, settings, tapFiles(this.deps.dir, ifname));
    requireDnsmasq();
  }

  /** Serves the tap's guests (replacing what served them before); rejects with the reason it cannot. */
  up(ifname: string, addresses: TapAddress[], settings: GuestSettings): Promise<void> {
    const record: GuestRecord = { ifname, addresses, settings };
    const files = tapFiles(this.deps.dir, ifname);
    const args = dnsmasqArgs(ifname, addresses, settings, files); // refusals before anything stops
    const binary = requireDnsmasq();
    return this.serial(ifname, async () => {
      await this.halt(ifname);
      writeRecord(this.deps.dir, record);
      const server: TapServer = { record, files, startedAt: Date.now(), restarts: 0, backoffMs: 0 };
      this.servers.set(ifname, server);
      try {
        server.process = await startServer(binary, args, files);
      } catch (error) {
        this.servers.delete(ifname);
        removeRecord(this.deps.dir, ifname);
        throw error;
      }
      this.watch(server);
      this.deps.log.info(
        { tap: ifname, pid: server.process.pid, dhcp: settings.dhcp, ra: settings.ra },
        "guest addressing started",
      );
    });
  }

  /** Stops the tap's server and forgets it (its leases stay on disk for the next start). */
  down(ifname: string): Promise<void> {
    return this.serial(ifname, async () => {
      const had = this.servers.has(ifname);
      await this.halt(ifname);
      removeRecord(this.deps.dir, ifname);
      if (had) this.deps.log.info({ tap: ifname }, "guest addressing stopped");
    });
  }

  private async halt(ifname: string): Promise<void> {
    const server = this.servers.get(ifname);
    if (!server) return;
    this.servers.delete(ifname);
    clearTimeout(server.restartTimer);
    if (server.process) await stopServer(server.process, server.files.pid);
  }

  /** An own child that exits unasked is restarted; one taken over is checked by poll(). */
  private watch(server: TapServer): void {
    const proc = server.process;
    void proc?.exited?.then((code) => {
      if (this.servers.get(server.record.ifname) !== server || server.process !== proc) return;
      this.died(server, `exited with ${code}`);
    });
  }

  private died(server: TapServer, how: string): void {
    const { ifname } = server.record;
    server.process = undefined;
    server.lastError = `${how}: ${lastLogLine(server.files.log) ?? "no message"}`;
    const ranMs = Date.now() - server.startedAt;
    server.backoffMs =
      ranMs > HEALTHY_MS
        ? FIRST_BACKOFF_MS
        : Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, server.backoffMs * 2));
    this.deps.log.warn(
      { tap: ifname, error: server.lastError, retryMs: server.backoffMs },
      "guest addressing server died; restarting",
    );
    server.restartTimer = setTimeout(() => {
      this.deps.run("guest server restart", () => this.restart(server));
    }, server.backoffMs);
    server.restartTimer.unref();
  }

  private restart(server: TapServer): Promise<void> {
    const { ifname, addresses, settings } = server.record;
    return this.serial(ifname, async () => {
      if (this.servers.get(ifname) !== server || server.process) return;
      if (!this.deps.exists(ifname)) return; // poll() is taking it down
      server.startedAt = Date.now();
      server.restarts++;
      try {
        server.process = await startServer(
          requireDnsmasq(),
          dnsmasqArgs(ifname, addresses, settings, server.files),
          server.files,
        );
      } catch (error) {
        this.died(server, (error as Error).message);
        return;
      }
      this.watch(server);
      this.deps.log.info(
        { tap: ifname, pid: server.process.pid, restarts: server.restarts },
        "guest addressing restarted",
      );
    });
  }

  /**
   * On every link poll: a tap that vanished (QEMU killed: no down-script) takes its server with it;
   * a server taken over from the last daemon (not our child: no exit event) that died is restarted.
   */
  poll(existing: ReadonlySet<string>): void {
    for (const [ifname, server] of this.servers) {
      if (!existing.has(ifname)) {
        this.deps.log.info({ tap: ifname }, "tap gone; stopping its guest addressing");
        this.deps.run("guest server stop", () => this.down(ifname));
      } else if (
        server.process &&
        !server.process.exited &&
        !isOurServer(server.process.pid, server.files.pid)
      ) {
        this.died(server, "gone");
      }
    }
  }

  /**
   * At daemon start: the servers the last daemon ran. A tap still there keeps its running server (taken
   * over) or gets a new one; a tap gone takes its server and record with it.
   */
  async restore(): Promise<void> {
    const { records, problems } = readRecords(this.deps.dir);
    for (const problem of problems) this.deps.log.warn({}, problem);
    await Promise.all(
      records.map(async (record) => {
        const files = tapFiles(this.deps.dir, record.ifname);
        const pid = readPid(files.pid);
        const running = pid !== undefined && isOurServer(pid, files.pid);
        if (!this.deps.exists(record.ifname)) {
          if (running) await stopServer({ pid }, files.pid);
          removeRecord(this.deps.dir, record.ifname);
          this.deps.log.info(
            { tap: record.ifname },
            "tap gone while the daemon was down; guest addressing stopped",
          );
          return;
        }
        if (!running) {
          await this.up(record.ifname, record.addresses, record.settings).catch((error: Error) =>
            this.deps.log.error({ tap: record.ifname, err: error.message }, "guest addressing not restored"),
          );
          return;
        }
        this.servers.set(record.ifname, {
          record,
          files,
          process: { pid },
          startedAt: Date.now(),
          restarts: 0,
          backoffMs: 0,
        });
        this.deps.log.info({ tap: record.ifname, pid }, "guest addressing taken over from the last daemon");
      }),
    );
  }

  private leases(server: TapServer): Lease[] {
    try {
      const now = Date.now() / 1000;
      // dnsmasq drops an expired lease only when it next rewrites the file
      return parseLeases(readFileSync(server.files.leases, "utf8")).filter(
        (l) => l.expires === null || l.expires > now,
      );
    } catch {
      return [];
    }
  }

  report(): GuestReport[] {
    return [...this.servers.values()]
      .map((s) => ({
        tap: s.record.ifname,
        dhcp: s.record.settings.dhcp,
        ra: s.record.settings.ra,
        dns: s.record.settings.dns,
        running: s.process !== undefined,
        pid: s.process?.pid ?? null,
        restarts: s.restarts,
        lastError: s.lastError ?? null,
        leases: s.record.settings.dhcp ? this.leases(s) : [],
      }))
      .sort((a, b) => a.tap.localeCompare(b.tap));
  }

  get size(): number {
    return this.servers.size;
  }
}
