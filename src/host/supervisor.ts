/**
 * Who runs the daemon a hook needs when none answers (issue 16 point 3). Where systemd is booted and
 * riplet.service is installed, systemd does: the hook asks it to start the unit and waits for the
 * socket, and never starts a copy of its own, which would take the socket and make the service fail
 * (a VM autostarted before riplet.service did exactly that). Elsewhere the hook starts a detached
 * daemon logging to a file that logrotate can truncate in place. The decision reads only the paths it
 * is given, and the start runs through injected functions, so tests stand temp dirs and fakes in.
 */
import { mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

const UNIT = "riplet.service";
/** The socket the unit's ExecStart uses when it names none (the CLI's default). */
const DEFAULT_SOCKET = "/run/riplet/riplet.sock";
/** Where a detached daemon logs; /etc/logrotate.d/riplet rotates it with copytruncate. */
export const DAEMON_LOG_PATH = "/var/log/riplet/daemon.log";
/** Long enough for a start job queued behind network-online.target on a booting host. */
const SERVICE_START_MS = 15_000;
const SEE = "see `systemctl status riplet` and `journalctl -u riplet`";

export interface SystemdPaths {
  /** A directory only while systemd is PID 1 (sd_booted(3) tests exactly this). */
  booted: string;
  /** Where an installed unit file can be (the contract's list, in systemd's order of precedence). */
  unitDirs: readonly string[];
  /** systemctl by absolute path: libvirt runs hooks with an empty environment, so no PATH. */
  systemctl: readonly string[];
}

const SYSTEMD_PATHS: SystemdPaths = {
  booted: "/run/systemd/system",
  unitDirs: ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"],
  systemctl: ["/usr/bin/systemctl", "/bin/systemctl"],
};

export type Supervisor =
  | { kind: "systemd"; unitFile: string; systemctl: string }
  | { kind: "detached"; why: string };

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile() || statSync(path).isCharacterDevice(); // a masked unit is /dev/null
  } catch {
    return false;
  }
}

/** The control socket the unit's (last) ExecStart passes with --socket, else the default. */
export function unitSocket(unitText: string): string {
  const starts = [...unitText.matchAll(/^\s*ExecStart\s*=\s*(.*)$/gm)].map((m) => m[1]!.trim());
  const last = starts.filter(Boolean).at(-1) ?? "";
  return /(?:^|\s)--socket(?:=|\s+)(\S+)/.exec(last)?.[1] ?? DEFAULT_SOCKET;
}

/**
 * systemd when it is booted, the unit is installed and serves the socket this hook talks to;
 * otherwise a detached daemon. A hook pointed at another socket (`riplet demo`, a test, a second
 * instance) is not the service's business, so it starts its own as before.
 */
export function chooseSupervisor(socket: string, paths: SystemdPaths = SYSTEMD_PATHS): Supervisor {
  if (!isDirectory(paths.booted)) return { kind: "detached", why: "systemd is not running" };
  const unitFile = paths.unitDirs.map((dir) => `${dir}/${UNIT}`).find(isFile);
  if (!unitFile) return { kind: "detached", why: `no ${UNIT} is installed` };
  const systemctl = paths.systemctl.find(isFile);
  if (!systemctl) return { kind: "detached", why: "systemctl is missing" };
  let text = "";
  try {
    text = readFileSync(unitFile, "utf8");
  } catch {
    // unreadable or masked: systemctl says what is wrong with it when asked to start it
  }
  const served = unitSocket(text);
  if (resolve(served) !== resolve(socket))
    return { kind: "detached", why: `${UNIT} serves ${served}, not ${socket}` };
  return { kind: "systemd", unitFile, systemctl };
}

export interface ServiceDeps {
  /** Runs a command to completion; rejects with one line saying why it failed. */
  run(file: string, args: readonly string[], timeoutMs: number): Promise<unknown>;
  /** Whether the daemon answers on the socket now. */
  answers(): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/**
 * `systemctl start riplet.service`, then the socket, within budgetMs. Two hooks at once both ask:
 * systemd merges the two start jobs into one, so there is still one daemon. Never falls back to a
 * detached daemon: that is the second, unsupervised copy this exists to prevent.
 */
export async function startService(
  systemctl: string,
  socket: string,
  deps: ServiceDeps,
  budgetMs = SERVICE_START_MS,
): Promise<void> {
  const deadline = deps.now() + budgetMs;
  try {
    await deps.run(systemctl, ["start", UNIT], budgetMs);
  } catch (error) {
    const said = (error as Error).message.replace(/\.$/, "");
    throw new Error(`no daemon on ${socket}, and ${said}; ${SEE}`);
  }
  while (deps.now() < deadline) {
    if (await deps.answers()) return;
    await deps.sleep(50);
  }
  if (await deps.answers()) return;
  throw new Error(`${UNIT} started but did not open ${socket} within ${budgetMs / 1000} s; ${SEE}`);
}

/**
 * The detached daemon's log, opened O_APPEND (flag "a"): every write goes to the end of the file as
 * it is then, so after logrotate's copytruncate cuts it to 0 the daemon writes from 0 again, instead
 * of at its old offset behind a hole of zeros as a plain O_WRONLY descriptor would.
 */
export function openAppendLog(path: string): number {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  return openSync(path, "a", 0o640);
}
