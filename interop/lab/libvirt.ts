/**
 * Debian's libvirt (system mode, no systemd) owned by one test: `virtlogd` and `libvirtd` run in the
 * foreground inside a lab namespace, so the taps libvirt creates, the `<script>`s it runs and the QEMUs
 * it starts all live there. Each daemon gets a private mount namespace in which the lab's own
 * directories are bound over /run/libvirt, /var/lib/libvirt, /var/log/libvirt, /etc/libvirt and
 * /var/cache/libvirt: no socket, pid file, domain definition or log of a system libvirt is ever touched,
 * and nothing the test defines outlives the lab. Clients reach it by `qemu:///system?socket=…`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.js";
import { type Child, exec, signalPid } from "./proc.js";
import { LAB_ROOT } from "./registry.js";
import { waitFor } from "./wait.js";

export const LIBVIRTD = "/usr/sbin/libvirtd";
export const VIRTLOGD = "/usr/sbin/virtlogd";
export const VIRSH = "/usr/bin/virsh";
const QEMU_DRIVER = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so";
const APT_LINE =
  "apt-get install -y libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon-system";

/**
 * The QEMU capabilities cache, kept across labs: probing QEMU costs libvirtd ~8 s on a cold start here,
 * ~0.3 s warm. It is content-keyed by libvirt (binary ctimes), written by rename, so labs may share it.
 */
export const LIBVIRT_CACHE = join(LAB_ROOT, "libvirt-cache");

/** The system paths each daemon sees replaced by the lab's directory of the same role. */
const PRIVATE_DIRS = {
  run: "/run/libvirt",
  lib: "/var/lib/libvirt",
  log: "/var/log/libvirt",
  etc: "/etc/libvirt",
} as const;

/** The directories bound in each daemon's mount namespace: the lab's own four, and the shared cache. */
const BINDS = [...Object.values(PRIVATE_DIRS), "/var/cache/libvirt"];

/** Binds "$1".."$5" over BINDS in a private mount namespace, then execs the rest of its arguments. */
const BIND_AND_EXEC = [
  "set -e",
  ...BINDS.map((target, i) => `mount --bind "$${i + 1}" ${target}`),
  `shift ${BINDS.length}`,
  'exec "$@"',
].join("\n");

/**
 * libvirtd runs under this subreaper (perl is Essential in Debian). libvirt double-forks QEMU, so a
 * QEMU that exits is reaped by whoever adopted it, and libvirt, which polls kill(pid, 0) every 200 ms,
 * waits until then before it runs the downscript. A host's init reaps at once; this machine's PID 1
 * took 1.4-1.6 s, which would have shown up in every destroy. The reaper exits with libvirtd (QEMUs
 * it adopted then go to PID 1, as when a real libvirtd restarts). 157 = prctl, 36 = PR_SET_CHILD_SUBREAPER
 * (x86_64 numbers).
 */
const REAPER = `
syscall(157, 36, 1, 0, 0, 0) == 0 or die "prctl(PR_SET_CHILD_SUBREAPER): $!\\n";
my $child = fork() // die "fork: $!\\n";
if ($child == 0) { exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!\\n"; }
$SIG{$_} = sub { kill $_[0], $child } for qw(TERM INT HUP);
while ((my $pid = waitpid(-1, 0)) > 0) { exit($? >> 8) if $pid == $child; }
`;

/** What is missing for a lab libvirt, in one line with the fix; "" when it can run. */
export function libvirtMissing(): string {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root");
  for (const path of [LIBVIRTD, VIRTLOGD, VIRSH, QEMU_DRIVER]) if (!existsSync(path)) missing.push(path);
  if (!userExists("libvirt-qemu")) missing.push("the libvirt-qemu user (from libvirt-daemon-system)");
  if (missing.length > 0) return `missing ${missing.join(", ")}; install with: ${APT_LINE}`;
  return apparmorConfinesLibvirtd()
    ? "AppArmor enforces libvirtd's profile, which runs scripts only from /bin, /sbin, /usr/bin, /usr/sbin " +
        "and /etc/libvirt/hooks, not a lab's; for the test run: aa-complain /usr/sbin/libvirtd " +
        "(apt-get install -y apparmor-utils), and aa-enforce /usr/sbin/libvirtd afterwards"
    : "";
}

/** True when AppArmor enforces Debian's usr.sbin.libvirtd profile (untested: this machine has no AppArmor). */
function apparmorConfinesLibvirtd(): boolean {
  try {
    const profiles = readFileSync("/sys/kernel/security/apparmor/profiles", "utf8");
    return /^(\/usr\/sbin\/)?libvirtd \(enforce\)$/m.test(profiles);
  } catch {
    return false;
  }
}

function userExists(name: string): boolean {
  try {
    execFileSync("getent", ["passwd", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface Libvirt {
  /** `qemu:///system?socket=<lab dir>/libvirt/run/libvirt-sock`. */
  readonly uri: string;
  /** The lab's directories: run (sockets, qemu/<name>.pid), lib, log (qemu/<name>.log), etc. */
  readonly dirs: Readonly<Record<keyof typeof PRIVATE_DIRS, string>>;
  /** ms from spawning libvirtd to its first answer to `virsh version`. */
  readonly startMs: number;
  /** libvirtd's PID, from its pid file (its namespaces are the ones scripts run in). */
  readonly pid: number;
  /** `virsh -c URI ARGS...`; rejects with virsh's stderr when it fails. */
  virsh(args: string[]): Promise<string>;
  defineDomain(xml: string): Promise<void>;
  start(name: string): Promise<void>;
  destroy(name: string): Promise<void>;
  /**
   * SIGTERM libvirtd (its domains keep running, as under systemd), call `whileDown`, start a new one;
   * resolves with the new one's start ms.
   */
  restartDaemon(whileDown?: () => void | Promise<void>): Promise<number>;
  /** Destroys every running domain (so downscripts run), stops both daemons and any QEMU left. */
  stop(): Promise<void>;
}

/** Copies the packaged configuration, without the default NAT network (192.168.122.0/24 is not ours). */
async function prepareDirs(base: string): Promise<Record<keyof typeof PRIVATE_DIRS, string>> {
  const dirs = {
    run: join(base, "run"),
    lib: join(base, "lib"),
    log: join(base, "log"),
    etc: join(base, "etc"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o755 });
  mkdirSync(join(dirs.log, "qemu"), { recursive: true });
  mkdirSync(LIBVIRT_CACHE, { recursive: true, mode: 0o711 });
  // cp -a keeps the owners (lib/qemu belongs to libvirt-qemu), which Node's cpSync does not
  await exec(["cp", "-a", "/etc/libvirt/.", dirs.etc]);
  await exec(["cp", "-a", "/var/lib/libvirt/.", dirs.lib]);
  const networks = join(dirs.etc, "qemu", "networks");
  for (const sub of [networks, join(networks, "autostart")]) {
    if (!existsSync(sub)) continue;
    for (const f of readdirSync(sub)) if (f.endsWith(".xml")) rmSync(join(sub, f), { force: true });
  }
  // the mount points the binds need; the packages create all of them but /run/libvirt (made at runtime)
  for (const target of BINDS) mkdirSync(target, { recursive: true });
  return dirs;
}

function spawnPrivate(
  lab: Lab,
  ns: string,
  dirs: Record<keyof typeof PRIVATE_DIRS, string>,
  label: string,
  argv: string[],
  env?: NodeJS.ProcessEnv,
): Child {
  const binds = [
    ...Object.keys(PRIVATE_DIRS).map((k) => dirs[k as keyof typeof PRIVATE_DIRS]),
    LIBVIRT_CACHE,
  ];
  const wrapped = ["unshare", "-m", "--propagation", "private", "sh", "-c", BIND_AND_EXEC, "sh", ...binds];
  return lab.spawn(ns, [...wrapped, ...argv], label, env);
}

/**
 * Starts virtlogd, then libvirtd, in namespace `ns` of `lab`, and waits until libvirtd answers.
 * `env` is libvirtd's environment (default: this process's), e.g. to show what scripts do not inherit.
 * `lab.destroy()` also ends both daemons and every QEMU (all of them are inside `ns`).
 */
export async function startLibvirt(
  lab: Lab,
  ns: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<Libvirt> {
  const missing = libvirtMissing();
  if (missing !== "") throw new Error(missing);
  const dirs = await prepareDirs(join(lab.dir, "libvirt"));
  const virtlogd = spawnPrivate(lab, ns, dirs, "virtlogd", [VIRTLOGD, "-p", join(dirs.run, "virtlogd.pid")]);
  await waitFor(() => existsSync(join(dirs.run, "virtlogd-sock")) || !virtlogd.running, {
    timeoutMs: 10_000,
    what: "virtlogd's socket",
  });
  if (!virtlogd.running) throw new Error(`virtlogd exited at start:\n${virtlogd.describe()}`);
  const libvirt = new LabLibvirt(lab, ns, dirs, virtlogd, options.env);
  libvirt.startMs = await libvirt.startDaemon();
  return libvirt;
}

class LabLibvirt implements Libvirt {
  readonly uri: string;
  startMs = 0;
  private libvirtd: Child | undefined;
  private defined = 0;

  constructor(
    private readonly lab: Lab,
    private readonly ns: string,
    readonly dirs: Record<keyof typeof PRIVATE_DIRS, string>,
    private readonly virtlogd: Child,
    private readonly env: NodeJS.ProcessEnv | undefined,
  ) {
    this.uri = `qemu:///system?socket=${join(dirs.run, "libvirt-sock")}`;
  }

  get pid(): number {
    return Number(readFileSync(join(this.dirs.run, "libvirtd.pid"), "utf8").trim());
  }

  /** Spawns libvirtd (under the reaper on x86_64); resolves with the ms until `virsh version` answers. */
  async startDaemon(): Promise<number> {
    const started = performance.now();
    const argv = [LIBVIRTD, "-p", join(this.dirs.run, "libvirtd.pid")];
    const reaped = process.arch === "x64" ? ["perl", "-e", REAPER, "--", ...argv] : argv;
    const daemon = spawnPrivate(this.lab, this.ns, this.dirs, "libvirtd", reaped, this.env);
    this.libvirtd = daemon;
    await waitFor(
      async () => {
        if (!daemon.running) throw new Error(`libvirtd exited at start:\n${daemon.describe()}`);
        return (await exec([VIRSH, "-c", this.uri, "version"], { allowFail: true })).code === 0;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "libvirtd to answer virsh version" },
    );
    return Math.round(performance.now() - started);
  }

  async virsh(args: string[]): Promise<string> {
    return (await exec([VIRSH, "-q", "-c", this.uri, ...args], { timeoutMs: 60_000 })).stdout;
  }

  async defineDomain(xml: string): Promise<void> {
    const file = join(this.dirs.run, `define-${++this.defined}.xml`);
    writeFileSync(file, xml);
    await this.virsh(["define", file]);
  }

  async start(name: string): Promise<void> {
    await this.virsh(["start", name]);
  }

  async destroy(name: string): Promise<void> {
    await this.virsh(["destroy", name]);
  }

  async restartDaemon(whileDown?: () => void | Promise<void>): Promise<number> {
    await this.libvirtd?.stop(10_000);
    await whileDown?.();
    return this.startDaemon();
  }

  async stop(): Promise<void> {
    if (this.libvirtd?.running) {
      const running = (await this.virsh(["list", "--name"]).catch(() => "")).split("\n").filter(Boolean);
      for (const name of running) await this.destroy(name).catch(() => undefined);
    }
    await this.libvirtd?.stop(10_000);
    await this.virtlogd.stop(5000);
    killLeftQemus(this.dirs.run);
  }
}

/** QEMUs whose libvirtd died before it could stop them: their pid files name them, /proc confirms. */
function killLeftQemus(run: string): void {
  const qemuRun = join(run, "qemu");
  if (!existsSync(qemuRun)) return;
  for (const f of readdirSync(qemuRun).filter((n) => n.endsWith(".pid"))) {
    const pid = Number(readFileSync(join(qemuRun, f), "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1) continue;
    let comm = "";
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      continue;
    }
    if (comm.startsWith("qemu-system")) signalPid(pid, "SIGKILL");
  }
}

export interface EthernetDomain {
  name: string;
  kernel: string;
  initrd?: string;
  cmdline: string;
  memoryMb: number;
  tap: string;
  mac: string;
  script: string;
  downscript: string;
  /** The serial console (ttyS0) goes to this file; without it, to a pty. */
  serialLog?: string;
}

const escapeXml = (s: string): string => s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The `<interface>` of README's libvirt section: a tap named by `<target dev>`, the hooks as scripts. */
export function ethernetInterfaceXml(
  opts: Pick<EthernetDomain, "tap" | "mac" | "script" | "downscript">,
): string {
  return [
    "<interface type='ethernet'>",
    `  <mac address='${escapeXml(opts.mac)}'/>`,
    `  <target dev='${escapeXml(opts.tap)}'/>`,
    "  <model type='virtio'/>",
    `  <script path='${escapeXml(opts.script)}'/>`,
    `  <downscript path='${escapeXml(opts.downscript)}'/>`,
    "</interface>",
  ].join("\n");
}

/** A TCG (`type='qemu'`, no KVM) domain booting `kernel` directly, with one virtio NIC on a tap. */
export function ethernetDomainXml(opts: EthernetDomain): string {
  const initrd = opts.initrd ? `    <initrd>${escapeXml(opts.initrd)}</initrd>\n` : "";
  const serial = opts.serialLog
    ? `<serial type='file'><source path='${escapeXml(opts.serialLog)}'/></serial>`
    : "<serial type='pty'/>";
  const nic = ethernetInterfaceXml(opts)
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
  return `<domain type='qemu'>
  <name>${escapeXml(opts.name)}</name>
  <memory unit='MiB'>${opts.memoryMb}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${escapeXml(opts.kernel)}</kernel>
${initrd}    <cmdline>${escapeXml(opts.cmdline)}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${nic}
    ${serial}
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
