/**
 * A lab: network namespaces joined by veth pairs, the processes started inside them and their temp
 * files. Everything a lab creates is recorded (see registry.ts) and removed by `destroy()`, by the
 * process exit/signal handlers, or by the next run's sweep if this process was killed outright.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Child, type ExecOptions, type ExecResult, exec, signalPid, startChild } from "./proc.js";
import {
  LAB_ROOT,
  type LabRecord,
  processStart,
  registerTeardown,
  saveRecord,
  sweepStaleLabs,
  teardownRecordSync,
  unregisterTeardown,
} from "./registry.js";
import { waitFor } from "./wait.js";

/** One end of a link: interface name in a namespace, with CIDR addresses to add. */
export interface Endpoint {
  ns: string;
  ifname: string;
  addresses?: string[];
}

/** Only documentation and benchmark ranges (RFC 5737, RFC 2544, RFC 3849) may appear in a lab. */
const ALLOWED = [/^192\.0\.2\./, /^198\.51\.100\./, /^203\.0\.113\./, /^198\.(18|19)\./, /^2001:db8:/i];

export function assertLabAddress(cidr: string): void {
  if (!ALLOWED.some((re) => re.test(cidr))) throw new Error(`${cidr} is outside the lab's address ranges`);
}

/** The fields of `ip -j addr` address entries that the lab reads. */
interface AddrInfo {
  local?: string;
  scope?: string;
  tentative?: boolean;
}

const liveLabs = new Set<Lab>();

/** Destroys every lab of this process not destroyed yet (the suite's afterAll safety net). */
export async function destroyAllLabs(): Promise<void> {
  for (const lab of [...liveLabs]) await lab.destroy();
}

export class Lab {
  readonly id: string;
  readonly dir: string;
  private readonly record: LabRecord;
  private readonly children: Child[] = [];
  private destroyed = false;

  constructor(label: string) {
    this.id = `rl-${randomBytes(3).toString("hex")}`;
    sweepStaleLabs();
    this.dir = join(LAB_ROOT, this.id);
    mkdirSync(this.dir, { recursive: true });
    chmodSync(LAB_ROOT, 0o755); // FRR daemons run as user frr and must reach their configs
    chmodSync(this.dir, 0o755);
    this.record = {
      id: this.id,
      label,
      owner: { pid: process.pid, start: processStart(process.pid) },
      namespaces: [],
      dirs: [this.dir],
    };
    saveRecord(this.record);
    registerTeardown(this.id, () => {
      // our children still running: their PIDs are ours for sure (unreaped); then the namespaces
      for (const child of this.children) if (child.running) signalPid(child.pid, "SIGKILL");
      teardownRecordSync(this.record);
    });
    liveLabs.add(this);
  }

  /** The full namespace name for a role, e.g. `rl-1a2b3c-gw`. */
  ns(role: string): string {
    return `${this.id}-${role}`;
  }

  get namespaces(): readonly string[] {
    return this.record.namespaces;
  }

  /** Creates namespace `<id>-<role>` with loopback up; returns its name. */
  async addNamespace(role: string, options: { forwarding?: boolean } = {}): Promise<string> {
    const ns = this.ns(role);
    this.record.namespaces.push(ns);
    saveRecord(this.record);
    await exec(["ip", "netns", "add", ns]);
    await this.exec(ns, ["ip", "link", "set", "lo", "up"]);
    if (options.forwarding) {
      await this.exec(ns, ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);
    }
    return ns;
  }

  /** A veth pair between two namespaces, addressed and up. Call `settle()` before starting daemons. */
  async veth(a: Endpoint, b: Endpoint): Promise<void> {
    await exec([
      "ip",
      "-n",
      a.ns,
      "link",
      "add",
      a.ifname,
      "type",
      "veth",
      "peer",
      "name",
      b.ifname,
      "netns",
      b.ns,
    ]);
    for (const end of [a, b]) await this.configure(end);
  }

  /** A bridge in `ns` with the given ports (interfaces already in `ns`) enslaved; no snooping. */
  async bridge(ns: string, name: string, ports: string[]): Promise<void> {
    await this.exec(ns, ["ip", "link", "add", name, "type", "bridge", "mcast_snooping", "0"]);
    await this.exec(ns, ["ip", "link", "set", name, "up"]);
    for (const port of ports) await this.exec(ns, ["ip", "link", "set", port, "master", name, "up"]);
  }

  private async configure(end: Endpoint): Promise<void> {
    for (const cidr of end.addresses ?? []) {
      assertLabAddress(cidr);
      await this.exec(end.ns, ["ip", "addr", "add", cidr, "dev", end.ifname]);
    }
    await this.exec(end.ns, ["ip", "link", "set", end.ifname, "up"]);
  }

  /** Waits until no IPv6 address in `ns` is tentative (DAD done) and `ifname` has a link-local one. */
  async settle(ns: string, ifname: string, timeoutMs = 10_000): Promise<string> {
    let linkLocal = "";
    await waitFor(
      async () => {
        const { stdout } = await this.exec(ns, ["ip", "-6", "-j", "addr", "show"]);
        const links = JSON.parse(stdout) as { ifname: string; addr_info: AddrInfo[] }[];
        const infos = links.flatMap((l) => l.addr_info.map((a) => ({ ...a, ifname: l.ifname })));
        if (infos.some((a) => a.tentative === true)) return false;
        const ll = infos.find((a) => a.ifname === ifname && a.scope === "link");
        linkLocal = typeof ll?.local === "string" ? ll.local : "";
        return linkLocal !== "";
      },
      { timeoutMs, what: `IPv6 DAD on ${ns}/${ifname}` },
    );
    return linkLocal;
  }

  /** Runs argv inside namespace `ns` to completion. */
  exec(ns: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    return exec(["ip", "netns", "exec", ns, ...argv], options);
  }

  /** Starts a long-running child inside `ns`; it is killed by `destroy()`. */
  spawn(ns: string, argv: string[], label = argv.join(" "), env?: NodeJS.ProcessEnv): Child {
    if (this.destroyed) throw new Error(`lab ${this.id} is destroyed`);
    const child = startChild(label, ["ip", "netns", "exec", ns, ...argv], env);
    this.children.push(child);
    return child;
  }

  /** Adds a directory to remove at teardown (e.g. an FRR pathspace run dir). */
  adoptDir(dir: string): void {
    this.record.dirs.push(dir);
    saveRecord(this.record);
  }

  /** A tmpfs of `size` (e.g. "64k") at `dir` (created), unmounted at teardown: a disk that fills. */
  async mountTmpfs(dir: string, size: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    this.record.mounts = [...(this.record.mounts ?? []), dir];
    saveRecord(this.record);
    await exec(["mount", "-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir]);
  }

  /** Stops every process (TERM, then KILL), deletes namespaces, run dirs and temp dirs. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.children.map((c) => c.stop(2000)));
    teardownRecordSync(this.record);
    unregisterTeardown(this.id);
    liveLabs.delete(this);
  }
}

/** A new, empty lab. `label` names it in the record (for whoever finds it in /tmp/riplet-interop). */
export function createLab(options: { name: string }): Lab {
  return new Lab(options.name);
}
