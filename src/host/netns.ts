/**
 * Throw-away network namespaces for `riplet demo`: create, wire with veth pairs, run things inside,
 * and remove everything again, processes first. Names are prefixed so nothing else is touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { runCommand } from "./exec.js";

export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(readonly prefix: string) {}

  name(role: string): string {
    return `${this.prefix}-${role}`;
  }

  async addNamespace(role: string): Promise<string> {
    const ns = this.name(role);
    await runCommand("ip", ["netns", "del", ns]).catch(() => undefined); // left over from a killed run
    await runCommand("ip", ["netns", "add", ns]);
    this.namespaces.push(ns);
    await this.ip(ns, ["link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair between two namespaces, both ends up. */
  async link(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
    await runCommand("ip", [
      "link",
      "add",
      ifA,
      "netns",
      nsA,
      "type",
      "veth",
      "peer",
      "name",
      ifB,
      "netns",
      nsB,
    ]);
    await this.ip(nsA, ["link", "set", ifA, "up"]);
    await this.ip(nsB, ["link", "set", ifB, "up"]);
  }

  ip(ns: string, args: string[], timeoutMs?: number): Promise<string> {
    return runCommand("ip", ["-n", ns, ...args], timeoutMs);
  }

  exec(ns: string, command: string, args: string[], timeoutMs?: number): Promise<string> {
    return runCommand("ip", ["netns", "exec", ns, command, ...args], timeoutMs);
  }

  /** A long-running process inside a namespace; killed by destroy() if still running. */
  spawn(ns: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, command, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.push(child);
    return child;
  }

  /** Waits until the link-local address is past duplicate address detection (usable). */
  async waitForLinkLocal(ns: string, ifname: string, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const out = await this.ip(ns, ["-6", "addr", "show", "dev", ifname, "scope", "link"]);
      const match = /inet6 (fe80::[0-9a-f:]+)\/64 scope link(?! tentative)/.exec(out);
      if (match && !out.includes("tentative")) return match[1]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${ifname} in ${ns} has no usable link-local address after ${timeoutMs} ms`);
  }

  async destroy(): Promise<void> {
    for (const child of this.children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      // Anything still running inside (daemons started by hooks) goes with its namespace.
      const pids = await runCommand("ip", ["netns", "pids", ns]).catch(() => "");
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
      await runCommand("ip", ["netns", "del", ns]).catch(() => undefined);
    }
  }
}
