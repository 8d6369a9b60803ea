/**
 * Stop or restart? On SIGTERM/SIGINT the daemon withdraws every route (a stop) unless systemd is
 * restarting its unit: then the next riplet comes back in about a second, and poisoning the routes
 * would take every VM off the gateway for that second (issue 16). systemd does not tell a service why
 * it sends SIGTERM, so we ask it which job runs on our unit: `systemctl restart`, `try-restart`, a
 * `reload-or-restart` of a unit that cannot reload and a package upgrade's `deb-systemd-invoke restart`
 * all run as a job of type `restart` while the old process is being stopped (systemd src/core/job.c:
 * job_type_collapse() turns try-restart into restart; a restart job turns into a start job only once
 * the stop is done). Anything else (a stop job, shutdown, no systemd, systemctl failing or slow) is a
 * stop: a route left on the gateway by mistake stays there for 180 s + 120 s, a route withdrawn by
 * mistake comes back a second later, so a doubt withdraws.
 *
 * Pure parsing and the decision here; the exec and the files are the edges, passed in.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

type ExitKind = "restart" | "stop";

export interface ExitDecision {
  kind: ExitKind;
  /** One phrase for the log: why this kind. */
  reason: string;
  unit?: string;
}

/** How long systemctl may take: the stop path must not wait on a wedged bus (TimeoutStopSec=10). */
const LIST_JOBS_TIMEOUT_MS = 1000;

/** Job types meaning "the unit comes back": try-restart is collapsed to restart before it is listed. */
const RESTART_JOBS = new Set(["restart", "try-restart"]);

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export interface ListedJob {
  id: number;
  unit: string;
  type: string;
  state: string;
}

/**
 * `systemctl list-jobs --no-legend --plain --full UNIT`: one row per job, columns JOB UNIT TYPE STATE
 * (systemd src/systemctl/systemctl-list-jobs.c: table_new("job", "unit", "type", "state")), separated
 * and padded with spaces; no header and no "N jobs listed." footer under --no-legend, and nothing at
 * all when no job runs. Rows that are not four such columns (a warning, garbage) are skipped.
 */
export function parseListJobs(text: string): ListedJob[] {
  const jobs: ListedJob[] = [];
  for (const line of text.replace(ANSI, "").split("\n")) {
    const cells = line.trim().split(/\s+/);
    if (cells.length !== 4) continue;
    const [id, unit, type, state] = cells as [string, string, string, string];
    if (!/^\d+$/.test(id) || !/^[a-z-]+$/.test(type) || !/^[a-z]+$/.test(state)) continue;
    jobs.push({ id: Number(id), unit, type, state });
  }
  return jobs;
}

/** The decision from list-jobs' output for `unit`: a restart job on it, or a stop. */
export function exitKindFromJobs(text: string, unit: string): ExitDecision {
  const mine = parseListJobs(text).filter((job) => job.unit === unit);
  const restart = mine.find((job) => RESTART_JOBS.has(job.type));
  if (restart) return { kind: "restart", reason: `restart job ${restart.id} on ${unit}`, unit };
  if (mine.length > 0) return { kind: "stop", reason: `${mine[0]!.type} job on ${unit}`, unit };
  return { kind: "stop", reason: `no job on ${unit} (signal from outside systemd)`, unit };
}

/**
 * Our unit's name: RIPLET_SYSTEMD_UNIT (docs/riplet.service sets it to %n), else, on a systemd host,
 * the `.service` at the end of our cgroup (a unit file from before that line) if it is a riplet one:
 * a detached daemon started by libvirtd's hook sits in libvirtd's cgroup, and libvirtd restarting is
 * no reason for us to keep routes.
 */
export function systemdUnit(
  env: NodeJS.ProcessEnv,
  cgroup: () => string | undefined,
  systemdBooted: () => boolean,
): string | undefined {
  const named = env.RIPLET_SYSTEMD_UNIT?.trim();
  if (named) return named;
  if (!systemdBooted()) return undefined;
  // cgroup v2: "0::/system.slice/riplet.service"; v1: "1:name=systemd:/system.slice/riplet.service"
  for (const line of (cgroup() ?? "").split("\n")) {
    const unit = line.split("/").pop();
    if (unit && /^riplet[^/]*\.service$/.test(unit)) return unit;
  }
  return undefined;
}

/** Runs `systemctl ARGS` and resolves with its stdout; rejects if it fails. */
export type ListJobs = (unit: string) => Promise<string>;

/**
 * The decision on a SIGTERM/SIGINT. Never rejects and never takes longer than `timeoutMs`: a
 * failure or a timeout is a stop.
 */
export async function decideExit(
  unit: string | undefined,
  listJobs: ListJobs,
  timeoutMs = LIST_JOBS_TIMEOUT_MS,
): Promise<ExitDecision> {
  if (unit === undefined) return { kind: "stop", reason: "not run by systemd (RIPLET_SYSTEMD_UNIT unset)" };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ExitDecision>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ kind: "stop", reason: `systemctl list-jobs gave no answer within ${timeoutMs} ms`, unit }),
      timeoutMs,
    );
  });
  const asked = Promise.resolve(unit)
    .then(listJobs) // a listJobs that throws at once is a failure like any other
    .then(
      (text) => exitKindFromJobs(text, unit),
      (error: Error): ExitDecision => ({
        kind: "stop",
        reason: `systemctl list-jobs failed: ${error.message.split("\n")[0]}`,
        unit,
      }),
    );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The real edges: `systemctl` from PATH, /proc/self/cgroup, /run/systemd/system. */
export const listJobsWithSystemctl: ListJobs = (unit) =>
  new Promise((resolve, reject) => {
    execFile(
      "systemctl",
      ["list-jobs", "--no-legend", "--plain", "--full", unit],
      { timeout: LIST_JOBS_TIMEOUT_MS, encoding: "utf8" },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout),
    );
  });

export function currentSystemdUnit(): string | undefined {
  return systemdUnit(
    process.env,
    () => {
      try {
        return readFileSync("/proc/self/cgroup", "utf8");
      } catch {
        return undefined;
      }
    },
    () => existsSync("/run/systemd/system"),
  );
}
