/**
 * What every lab owns, written down so it is always torn down: by `destroy()`, by the exit and signal
 * handlers installed here, and — when the test process itself was SIGKILLed — by the next lab created,
 * which sweeps labs whose owner process is gone. Only our own namespaces and the processes inside them
 * are touched, never anything found by name.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execQuiet, signalPid } from "./proc.js";

export const LAB_ROOT = "/tmp/riplet-interop";

export interface LabRecord {
  id: string;
  label: string;
  owner: { pid: number; start: string };
  namespaces: string[];
  dirs: string[];
  /** Filesystems mounted for the lab (a tiny tmpfs to fill a disk), unmounted before dirs go. */
  mounts?: string[];
}

/** The kernel's start time of a process: a PID alone may have been reused. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

function recordPath(id: string): string {
  return join(LAB_ROOT, `${id}.json`);
}

export function saveRecord(record: LabRecord): void {
  mkdirSync(LAB_ROOT, { recursive: true });
  writeFileSync(recordPath(record.id), `${JSON.stringify(record)}\n`);
}

function namespacePids(ns: string): number[] {
  try {
    const out = execFileText(["ip", "netns", "pids", ns]);
    return out
      .split("\n")
      .filter(Boolean)
      .map((l) => Number(l));
  } catch {
    return [];
  }
}

function execFileText(argv: string[]): string {
  const [file, ...args] = argv;
  return execFileSync(file!, args, { encoding: "utf8", timeout: 10_000 });
}

/**
 * Synchronous teardown: KILL everything still inside our namespaces (whatever runs there is ours),
 * delete the namespaces, then the directories. PIDs are never taken from the record: a PID seen once
 * may belong to somebody else's process by now.
 */
export function teardownRecordSync(record: LabRecord): void {
  for (const ns of record.namespaces) {
    for (const pid of namespacePids(ns)) signalPid(pid, "SIGKILL");
    execQuiet(["ip", "netns", "del", ns]);
  }
  for (const mount of record.mounts ?? []) execQuiet(["umount", "-l", mount]);
  for (const dir of record.dirs) rmSync(dir, { recursive: true, force: true });
  rmSync(recordPath(record.id), { force: true });
}

/** Removes what labs of dead test processes left behind. */
export function sweepStaleLabs(): string[] {
  let names: string[];
  try {
    names = readdirSync(LAB_ROOT).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const name of names) {
    let record: LabRecord;
    try {
      record = JSON.parse(readFileSync(join(LAB_ROOT, name), "utf8")) as LabRecord;
    } catch {
      continue;
    }
    const alive = record.owner.start !== "" && processStart(record.owner.pid) === record.owner.start;
    if (alive) continue;
    teardownRecordSync(record);
    swept.push(record.id);
  }
  return swept;
}

const live = new Map<string, () => void>();
let hooked = false;

/** Registers a synchronous teardown to run on exit and on SIGINT/SIGTERM/SIGHUP. */
export function registerTeardown(id: string, teardown: () => void): void {
  live.set(id, teardown);
  if (hooked) return;
  hooked = true;
  process.on("exit", runAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      runAll();
      process.kill(process.pid, signal);
    });
  }
}

export function unregisterTeardown(id: string): void {
  live.delete(id);
}

function runAll(): void {
  for (const [id, teardown] of live) {
    live.delete(id);
    try {
      teardown();
    } catch {
      // keep tearing the others down
    }
  }
}
