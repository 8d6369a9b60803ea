/**
 * The gateway's kernel routing table as a stream: `ip monitor route` in the gateway's namespace, so
 * the moment a prefix arrives or leaves is the moment its netlink event reaches us, not the next poll
 * (a 50 ms poll would add up to 50 ms to figures whose target is 50 ms).
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Lab } from "../../interop/lab/lab.js";
import { sleep } from "../../interop/lab/proc.js";

interface Waiter {
  present: boolean;
  /** The prefixes not yet as wanted: updated per event, so 20,000 prefixes cost nothing per line. */
  pending: Set<string>;
  resolve: (at: number) => void;
}

/** Route types that are not forwarding routes to a prefix (`ip monitor` prints them first). */
const NON_UNICAST = new Set(["local", "broadcast", "multicast", "anycast", "unreachable", "blackhole"]);

/** Prefix of one `ip monitor route` line, with host routes made /32 or /128; undefined if none. */
function parseMonitorLine(line: string): { prefix: string; deleted: boolean } | undefined {
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
    // 8 MiB (the kernel doubles rmem_max's 4 MiB): a gateway installing 20,000 routes at once sends
    // events faster than a default netlink buffer holds; an overflow anyway means a resync.
    const argv = ["-rcvbuf", String(8 << 20), "-n", this.ns, "monitor", "route"];
    this.proc = spawn("ip", argv, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.setEncoding("utf8");
    this.proc.stdout!.on("data", (chunk: string) => this.onData(chunk, performance.now()));
    this.proc.stderr!.setEncoding("utf8");
    this.proc.stderr!.on("data", (text: string) => {
      if (/No buffer space/.test(text)) void this.resync();
      else process.stderr.write(`[ip monitor] ${text}`);
    });
    await sleep(100); // the monitor subscribes before anything we measure starts
    for (const prefix of await this.snapshot()) {
      if (!this.changedAt.has(prefix)) this.table.set(prefix, true);
    }
  }

  private async snapshot(): Promise<Set<string>> {
    const present = new Set<string>();
    for (const flag of ["-4", "-6"]) {
      const { stdout } = await this.lab.exec(this.ns, ["ip", flag, "route", "show"]);
      for (const line of stdout.split("\n")) {
        const parsed = parseMonitorLine(line);
        if (parsed) present.add(parsed.prefix);
      }
    }
    return present;
  }

  private resyncing = false;

  /** Events were lost: the table becomes what the kernel holds now (timed at the snapshot's end). */
  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    this.resyncs++;
    try {
      const present = await this.snapshot();
      for (const prefix of this.table.keys()) if (!present.has(prefix)) this.table.set(prefix, false);
      for (const prefix of present) this.table.set(prefix, true);
      this.settle(performance.now());
    } finally {
      this.resyncing = false;
    }
  }

  /** How many times events were lost and the table re-read (reported with scale figures). */
  resyncs = 0;

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
      for (const w of this.waiters) {
        if (w.present === !parsed.deleted) w.pending.delete(parsed.prefix);
      }
    }
    this.settle(at);
  }

  private settle(at: number): void {
    this.waiters = this.waiters.filter((w) => {
      // a prefix may have come and gone within one chunk: look again before declaring it done
      for (const p of w.pending) if (this.has(p) === w.present) w.pending.delete(p);
      if (w.pending.size > 0) return true;
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
  until(prefixes: Iterable<string>, present: boolean, timeoutMs: number): Promise<number> {
    const pending = new Set([...prefixes].filter((p) => this.has(p) !== present));
    if (pending.size === 0) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { pending, present, resolve: () => {} };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const left = [...pending];
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
