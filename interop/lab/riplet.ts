/** Runs the built riplet CLI (bin/riplet.js → dist/) inside lab namespaces. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { callDaemon } from "../../src/control/client.js";
import type { Request } from "../../src/control/protocol.js";
import type { GuestReport } from "../../src/guests/servers.js";
import type { Lab } from "./lab.js";
import type { Child, ExecResult } from "./proc.js";
import { waitFor } from "./wait.js";

/** The repository: this file runs from interop/lab/ (vitest) or dist/interop/lab/ (bench:interop). */
const here = fileURLToPath(new URL(".", import.meta.url));
export const REPO_ROOT = join(here, here.includes("/dist/interop/") ? "../../.." : "../..");
export const RIPLET_BIN = join(REPO_ROOT, "bin", "riplet.js");

/** `riplet ARGS...` in `ns` as a long-running child (run, listen). */
export function spawnRiplet(lab: Lab, ns: string, args: string[]): Child {
  return lab.spawn(ns, [process.execPath, RIPLET_BIN, ...args], `riplet ${args.join(" ")}`);
}

/** `riplet ARGS...` in `ns` to completion (query, decode); never throws on a non-zero exit. */
export function execRiplet(lab: Lab, ns: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  return lab.exec(ns, [process.execPath, RIPLET_BIN, ...args], { allowFail: true, timeoutMs });
}

/**
 * `riplet run PREFIX... -i IFNAME [extra]`; resolves once it logs "announcing" (sockets open), or
 * throws with its output if it exits first.
 */
export async function startRun(
  lab: Lab,
  ns: string,
  prefixes: string[],
  ifname: string,
  extra: string[] = [],
) {
  const child = spawnRiplet(lab, ns, ["run", ...prefixes, "-i", ifname, ...extra]);
  await waitFor(() => !child.running || child.stdout.includes('"announcing"'), {
    timeoutMs: 10_000,
    what: "riplet run to start",
  });
  if (!child.running) throw new Error(`riplet run exited at start:\n${child.describe()}`);
  return child;
}

/**
 * `riplet --socket SOCKET [EXTRA] daemon -c CONFIG` in `ns`; resolves once the control socket answers, or
 * throws with its output if it exits first.
 */
export async function startDaemon(
  lab: Lab,
  ns: string,
  socket: string,
  config: string,
  /** Global options before `daemon`, e.g. `--log-level trace`. */
  extra: string[] = [],
): Promise<Child> {
  const child = spawnRiplet(lab, ns, ["--socket", socket, ...extra, "daemon", "-c", config]);
  const answers = () =>
    callDaemon(socket, { id: 0, op: "status" }, 500).then(
      () => true,
      () => false,
    );
  await waitFor(async () => !child.running || (await answers()), {
    timeoutMs: 10_000,
    what: "the daemon's control socket",
  });
  if (!child.running) throw new Error(`riplet daemon exited:\n${child.describe()}`);
  return child;
}

/** One control request; throws with the daemon's message if it is refused. */
export async function askDaemon(socket: string, request: Request): Promise<Record<string, unknown>> {
  const reply = await callDaemon(socket, request);
  if (!reply.ok) throw new Error(`${request.op} refused: ${reply.error.message}`);
  return reply;
}

/** Resident memory of a process in MiB (/proc/PID/status VmRSS). */
export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

/** SIGTERM, then the exit code (riplet withdraws before exiting). */
export async function stopRun(child: Child): Promise<number | null> {
  return child.stop(5000, "SIGTERM");
}

/** Parses `--json` output: one object per line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** riplet's log lines at warn level or above (pino: 40 warn, 50 error, 60 fatal). */
export function logWarnings(child: Child): Record<string, unknown>[] {
  return child.jsonLines().filter((l) => typeof l.level === "number" && l.level >= 40);
}

/** A TCP service for health checks to probe: accepts and closes, on 127.0.0.1:`port` in `ns`. */
export async function startTcpService(lab: Lab, ns: string, port: number): Promise<Child> {
  const script = `require("net").createServer((s) => s.end()).listen(${port}, "127.0.0.1", () => console.log("ready"))`;
  const service = lab.spawn(ns, [process.execPath, "-e", script], `tcp service :${port}`);
  await waitFor(() => !service.running || service.stdout.includes("ready"), {
    timeoutMs: 5000,
    what: `the TCP service on port ${port}`,
  });
  if (!service.running) throw new Error(`the TCP service exited:\n${service.describe()}`);
  return service;
}

/** GET a daemon's Prometheus text from inside its namespace (where its metrics listener is). */
export async function scrapeMetrics(lab: Lab, ns: string, url: string): Promise<string> {
  const fetchIt = `fetch(${JSON.stringify(url)}).then(r => r.text()).then(t => process.stdout.write(t))`;
  return (await lab.exec(ns, [process.execPath, "-e", fetchIt])).stdout;
}

/** The daemon's guest servers (`status`'s `guests`), one per tap serving its VM. */
export async function guestReports(socket: string): Promise<GuestReport[]> {
  const reply = await callDaemon(socket, { id: 1, op: "status" });
  return reply.ok ? (reply.guests as GuestReport[]) : [];
}

export interface DoctorResult {
  check: string;
  status: string;
  message: string;
}

/** One check of `riplet doctor TAP --json` run in `ns`, by its name (e.g. "guests"). */
export async function doctorCheck(
  lab: Lab,
  ns: string,
  options: { socket: string; config: string; tap: string; check: string },
): Promise<DoctorResult | undefined> {
  const argv = ["--socket", options.socket, "doctor", options.tap, "-c", options.config, "--json"];
  const { stdout } = await execRiplet(lab, ns, argv);
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as DoctorResult)
    .find((c) => c.check === options.check);
}
