/**
 * The gateway's kernel routing table as a stream: `ip monitor route` in the gateway's namespace, so
 * the moment a prefix arrives or leaves is the moment its netlink event reaches us, not the next poll
 * (a 50 ms poll would add up to 50 ms to figures whose target is 50 ms).
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Lab } from "../../interop/lab/lab.js";
import { sleep } from "../../interop/lab/proc.js";

interface Waiter {
  prefixes: string[];
  present: boolean;
  resolve: (at: number) => void;
}

/** Route types that are not forwarding routes to a prefix (`ip monitor` prints them first). */
const NON_UNICAST = new Set(["local", "broadcast", "multicast", "anycast", "unreachable", "blackhole"]);

/** Prefix of one `ip monitor route` line, with host routes made /32 or /128; undefined if none. */
export function parseMonitorLine(line: string): { prefix: string; deleted: boolean } | undefined {
  const words = line.trim().split(/\s+/);
  let i = 0;
  const deleted = words[0] === "Deleted";
  if (deleted) i++;
  if (NON_UNICAST.has(words[i] ?? "")) return undefined;
  const dst = words[i];
  if (!dst || !/^[0-9a-f.:]+(\/\d+)?$/i.test(dst) || !/[.:]/.test(dst)) return undefined;
  const prefix = dst.includes("/") ? dst : `${dst}/${dst.includes(":") ? 128 : 32}`;
  return { prefix, deleted };
}

export class RouteWatcher {
  /** Prefix → present now. */
  private readonly table = new Map<string, boolean>();
  /** Prefix → performance.now() of its last change. */
  private readonly changedAt = new Map<string, number>();
  private waiters: Waiter[] = [];
  private proc?: ChildProcess;
  private buffered = "";

  constructor(
    private readonly lab: Lab,
    readonly ns: string,
  ) {}

  /** Starts the monitor, then reads the table as it is (events after the snapshot win). */
  async start(): Promise<void> {
    this.proc = spawn("ip", ["-n", this.ns, "monitor", "route"], { stdio: ["ignore", "pipe", "inherit"] });
    this.proc.stdout!.setEncoding("utf8");
    this.proc.stdout!.on("data", (chunk: string) => this.onData(chunk, performance.now()));
    await sleep(100); // the monitor subscribes before anything we measure starts
    for (const flag of ["-4", "-6"]) {
      const { stdout } = await this.lab.exec(this.ns, ["ip", flag, "route", "show"]);
      for (const line of stdout.split("\n")) {
        const parsed = parseMonitorLine(line);
        if (parsed && !this.changedAt.has(parsed.prefix)) this.table.set(parsed.prefix, true);
      }
    }
  }

  stop(): void {
    this.proc?.kill("SIGTERM");
  }

  private onData(chunk: string, at: number): void {
    this.buffered += chunk;
    const lines = this.buffered.split("\n");
    this.buffered = lines.pop() ?? "";
    for (const line of lines) {
      const parsed = parseMonitorLine(line);
      if (!parsed) continue;
      this.table.set(parsed.prefix, !parsed.deleted);
      this.changedAt.set(parsed.prefix, at);
    }
    this.settle(at);
  }

  private settle(at: number): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.prefixes.every((p) => this.has(p) === w.present)) return true;
      w.resolve(at);
      return false;
    });
  }

  has(prefix: string): boolean {
    return this.table.get(prefix) === true;
  }

  /** How many of `prefixes` are in the table now. */
  count(prefixes: Iterable<string>): number {
    let n = 0;
    for (const p of prefixes) if (this.has(p)) n++;
    return n;
  }

  /**
   * Resolves with the performance.now() of the event that made every prefix present (or absent);
   * at once if that is already so. Rejects after timeoutMs naming what is still missing.
   */
  until(prefixes: string[], present: boolean, timeoutMs: number): Promise<number> {
    if (prefixes.every((p) => this.has(p) === present)) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { prefixes, present, resolve: () => {} };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const left = prefixes.filter((p) => this.has(p) !== present);
        const what = present ? "to arrive" : "to leave";
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${left.length} prefix(es) ${what} on ${this.ns}: ${left.slice(0, 3).join(", ")}`,
          ),
        );
      }, timeoutMs);
      waiter.resolve = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
      this.waiters.push(waiter);
    });
  }
}
