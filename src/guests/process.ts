/**
 * The dnsmasq processes themselves: start one, recognise one (ours, after a restart of the daemon),
 * signal it. The only place that spawns dnsmasq or reads /proc for it; guests/server.ts decides when.
 *
 * Each server runs in its own session (detached), not as a child that dies with the daemon: a
 * daemon restart (SIGKILL, upgrade) must not take a guest's DHCP and RAs away, and the next daemon
 * recognises it by its pid file and command line and takes it over.
 */
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { DNSMASQ_MISSING_FIX } from "./plan.js";

export interface ServerProcess {
  pid: number;
  /** Settles when the process exits (only for one this daemon started). */
  exited?: Promise<number | null>;
}

export class GuestServerError extends Error {
  override readonly name = "GuestServerError";
}

/** dnsmasq on PATH (or the usual sbin directories, which a hook's bare environment may lack). */
export function findDnsmasq(path = process.env.PATH ?? ""): string | undefined {
  const dirs = [...path.split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, "dnsmasq");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

export function requireDnsmasq(): string {
  const found = findDnsmasq();
  if (!found) throw new GuestServerError(`dnsmasq is not installed; ${DNSMASQ_MISSING_FIX}`);
  return found;
}

/** The pid a pid file names, if it is a number. */
export function readPid(file: string): number | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a dnsmasq started with this pid file: a recycled pid, or somebody else's
 * dnsmasq, is never taken for ours (and never signalled).
 */
export function isOurServer(pid: number, pidFile: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return /(^|\/)dnsmasq$/.test(argv[0] ?? "") && argv.includes(`--pid-file=${pidFile}`);
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}

/** The last meaningful line dnsmasq wrote (its reason for exiting, when it did). */
export function lastLogLine(logFile: string): string | undefined {
  try {
    const lines = readFileSync(logFile, "utf8").slice(-4096).trim().split("\n");
    return lines.at(-1)?.replace(/^dnsmasq(-dhcp)?(\[\d+\])?:\s*/, "");
  } catch {
    return undefined;
  }
}

/**
 * Starts dnsmasq and resolves once it is serving: its pid file names it (dnsmasq writes the file after
 * its sockets are bound). Rejects with dnsmasq's own last words if it exits or is not up in time.
 */
export async function startServer(
  binary: string,
  args: readonly string[],
  files: { pid: string; log: string },
  timeoutMs = 5000,
): Promise<ServerProcess> {
  rmSync(files.pid, { force: true }); // a stale file must not pass for a fresh start
  const log = openSync(files.log, "w", 0o600); // one run's log: it cannot grow across restarts
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(binary, args, { detached: true, stdio: ["ignore", "ignore", log] });
  } finally {
    closeSync(log);
  }
  child.unref();
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  const pid = child.pid;
  const deadline = Date.now() + timeoutMs;
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  while (Date.now() < deadline && code === undefined) {
    if (pid !== undefined && readPid(files.pid) === pid) return { pid, exited };
    await new Promise((r) => setTimeout(r, 5));
  }
  if (pid !== undefined && code === undefined) signal(pid, "SIGKILL");
  const why = lastLogLine(files.log) ?? (code === undefined ? `not up within ${timeoutMs} ms` : "no message");
  throw new GuestServerError(`dnsmasq did not start: ${why}`);
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it is gone. */
export async function stopServer(server: ServerProcess, pidFile: string, graceMs = 1000): Promise<void> {
  const gone = () => !isOurServer(server.pid, pidFile);
  if (gone()) return;
  signal(server.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (gone()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  signal(server.pid, "SIGKILL");
  await server.exited;
}
