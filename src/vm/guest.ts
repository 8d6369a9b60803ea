/**
 * A real Linux guest in QEMU (TCG; no KVM needed) behind a tap: started with the tap's up/down
 * scripts, watched through its serial console (events: booted, lease, slaac, ready), and driven with
 * commands run in the guest. The console protocol is in init.ts and console.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ConsoleParser, type GuestEventName, runLine } from "./console.js";
import type { GuestImage } from "./image.js";
import { type GuestAddressing, kernelCommandLine } from "./init.js";

const QEMU_BIN = "qemu-system-x86_64";
const STDERR_KEEP = 4096;
const READY_WAIT_MS = 60_000;
const START_TIMEOUT_MS = 60_000;

export interface GuestOptions {
  image: GuestImage;
  netns?: string;
  ifname: string;
  mac: string;
  script?: string;
  downscript?: string;
  env?: NodeJS.ProcessEnv;
  hostname?: string;
  addressing?: GuestAddressing;
  memoryMb?: number;
  onLine?: (line: string) => void;
}

/** When each step happened (ms since start) and what the guest learned. */
export interface GuestEvents {
  booted?: number;
  lease?: number;
  slaac?: number;
  ready?: number;
  /** Address/prefix from the latest lease (DHCP, renewals included, or static), e.g. 198.51.100.23/24. */
  ipv4?: string;
  router?: string;
  /** The first SLAAC address, with its prefix length. */
  ipv6?: string;
  leases: number;
  errors: string[];
}

export type WaitableEvent = Exclude<GuestEventName, "error">;

class GuestError extends Error {
  override readonly name = "GuestError";
}

/** The QEMU argv (with `ip netns exec NS` in front when a namespace is given). Throws on bad input. */
export function qemuArgv(opts: GuestOptions): string[] {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(opts.ifname))
    throw new GuestError(
      `tap name ${JSON.stringify(opts.ifname)} is not a Linux interface name (1-15 characters)`,
    );
  if (
    !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(opts.mac) ||
    (Number.parseInt(opts.mac.slice(0, 2), 16) & 1) === 1
  )
    throw new GuestError(`guest MAC ${opts.mac} is not a unicast MAC address like 52:54:00:12:34:56`);
  const paths = [opts.image.kernel, opts.image.initrd, opts.script ?? "", opts.downscript ?? ""];
  const withComma = paths.find((p) => p.includes(","));
  if (withComma) throw new GuestError(`path ${withComma} contains a comma, which QEMU's -netdev cannot take`);
  const append = kernelCommandLine(opts.hostname ?? "riplet-guest", opts.addressing ?? "dhcp");
  const netdev = `tap,id=n0,ifname=${opts.ifname},script=${opts.script ?? "no"},downscript=${opts.downscript ?? "no"}`;
  const qemu = [
    QEMU_BIN,
    ...[
      "-machine",
      "q35",
      "-accel",
      "tcg,tb-size=32",
      "-m",
      String(opts.memoryMb ?? 128),
      "-nodefaults",
      "-no-reboot",
    ],
    ...[
      "-display",
      "none",
      "-monitor",
      "none",
      "-chardev",
      "stdio,id=s0,signal=off",
      "-serial",
      "chardev:s0",
    ],
    ...["-kernel", opts.image.kernel, "-initrd", opts.image.initrd, "-append", append],
    ...["-netdev", netdev, "-device", `virtio-net-pci,netdev=n0,mac=${opts.mac}`],
  ];
  return opts.netns ? ["ip", "netns", "exec", opts.netns, ...qemu] : qemu;
}

/** Why QEMU quit before the guest started, in one line that names the script when that was it. */
function startFailure(code: number | null, stderr: string): string {
  const script = /network script (\S+) failed with status (\d+)/.exec(stderr);
  if (script) return `QEMU could not start: the tap up-script ${script[1]} failed (status ${script[2]})`;
  const last = stderr.trim().split("\n").at(-1) ?? "";
  return `QEMU exited (code ${code}) before the guest started${last ? `: ${last}` : ""}`;
}

export class Guest {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  readonly events: GuestEvents = { leases: 0, errors: [] };
  private readonly t0 = performance.now();
  private readonly parser: ConsoleParser;
  private stderr = "";
  private running = true;
  private readonly watchers = new Set<() => void>();
  private readonly pending = new Map<number, (r: { code: number; output: string }) => void>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly proc: ChildProcess,
    onLine?: (line: string) => void,
  ) {
    if (proc.pid === undefined) throw new GuestError(`${QEMU_BIN} could not be started`);
    this.pid = proc.pid;
    this.parser = new ConsoleParser({
      ...(onLine ? { line: onLine } : {}),
      event: (name, data) => this.onEvent(name, data),
      result: (id, code, output) => this.pending.get(id)?.({ code, output: output.toString("utf8") }),
    });
    proc.stdout?.setEncoding("utf8").on("data", (d: string) => this.parser.feed(d));
    proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr = (this.stderr + d).slice(-STDERR_KEEP);
    });
    proc.stdin?.on("error", () => {}); // QEMU gone: exec() reports it through `exited`
    proc.on("exit", () => {
      this.running = false; // reaped: its PID must never be signalled again
    });
    this.exited = new Promise((resolve) => {
      proc.on("close", (code) => {
        this.running = false;
        this.notify();
        resolve(code);
      });
    });
  }

  /** Starts QEMU; resolves once the guest's console speaks, rejects if QEMU quits first (e.g. its up-script failed). */
  static async start(opts: GuestOptions): Promise<Guest> {
    const [file, ...args] = qemuArgv(opts);
    const proc = spawn(file!, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    const spawned = await new Promise<Error | undefined>((resolve) => {
      proc.once("spawn", () => resolve(undefined));
      proc.once("error", (e) => resolve(e));
    });
    if (spawned) throw new GuestError(`${file} could not be started: ${spawned.message}`);
    const guest = new Guest(proc, opts.onLine);
    // QEMU opens the tap (running the up-script) before the guest runs, so the first console line
    // means the tap is there; there is no earlier sign from outside
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      new Promise<"spoke">((resolve) => proc.stdout?.once("data", () => resolve("spoke"))),
      guest.exited.then((code) => ({ code })),
      new Promise<"silent">((resolve) => {
        timer = setTimeout(() => resolve("silent"), START_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === "spoke") return guest;
    if (outcome === "silent") {
      guest.kill("SIGKILL");
      throw new GuestError(
        `guest ${guest.pid}: no console output within ${START_TIMEOUT_MS} ms\n${guest.describe()}`,
      );
    }
    throw new GuestError(startFailure(outcome.code, guest.stderr));
  }

  /** The guest's last console lines (and QEMU's stderr), for error messages. */
  describe(): string {
    const stderr = this.stderr.trim() ? `\n--- qemu stderr\n${this.stderr.trim()}` : "";
    return `--- guest console (last lines)\n${this.parser.lastLines().join("\n")}${stderr}`;
  }

  private onEvent(name: GuestEventName, data: Record<string, string>): void {
    const at = Math.round(performance.now() - this.t0);
    if (name === "error") this.events.errors.push(data.what ?? JSON.stringify(data));
    else if (this.events[name] === undefined) this.events[name] = at;
    if (name === "lease") {
      this.events.leases++;
      this.events.ipv4 = data.cidr;
      this.events.router = data.router;
    }
    if (name === "slaac") this.events.ipv6 ??= data.address;
    this.notify();
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }

  /** Resolves when `event` has happened (at once if it already has); rejects on QEMU exit or timeout. */
  waitFor(event: WaitableEvent, timeoutMs: number): Promise<GuestEvents> {
    return new Promise((resolve, reject) => {
      const done = (error?: string) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        if (error) reject(new GuestError(`${error}\n${this.describe()}`));
        else resolve({ ...this.events, errors: [...this.events.errors] });
      };
      const check = () => {
        if (this.events[event] !== undefined) done();
        else if (!this.running) done(`guest ${this.pid}: QEMU exited before "${event}"`);
      };
      const timer = setTimeout(
        () => done(`guest ${this.pid}: no "${event}" within ${timeoutMs} ms`),
        timeoutMs,
      );
      this.watchers.add(check);
      check();
    });
  }

  /**
   * Runs `command` with sh in the guest (stdin /dev/null, stderr with stdout); one at a time. Waits up
   * to 60 s for the guest to be ready first, then up to timeoutMs for the command.
   */
  exec(command: string, timeoutMs = 10_000): Promise<{ code: number; output: string }> {
    const run = this.queue.then(async () => {
      await this.waitFor("ready", READY_WAIT_MS);
      return this.runOne(command, timeoutMs);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private runOne(command: string, timeoutMs: number): Promise<{ code: number; output: string }> {
    const id = this.nextId++;
    const line = runLine(id, command);
    return new Promise((resolve, reject) => {
      const finish = (error?: string, result?: { code: number; output: string }) => {
        clearTimeout(timer);
        this.pending.delete(id);
        this.watchers.delete(onExit);
        if (error) reject(new GuestError(`${error}\n${this.describe()}`));
        else resolve(result!);
      };
      const onExit = () => {
        if (!this.running) finish(`guest ${this.pid}: QEMU exited while running ${JSON.stringify(command)}`);
      };
      const timer = setTimeout(
        () => finish(`guest ${this.pid}: ${JSON.stringify(command)} did not finish within ${timeoutMs} ms`),
        timeoutMs,
      );
      this.pending.set(id, (result) => finish(undefined, result));
      this.watchers.add(onExit);
      onExit();
      this.proc.stdin?.write(line);
    });
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.running) this.proc.kill(signal);
  }

  /** SIGTERM (QEMU runs the down-script on its way out), SIGKILL after timeoutMs; resolves with the exit code. */
  async stop(timeoutMs = 5000): Promise<number | null> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
