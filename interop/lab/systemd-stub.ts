/**
 * A stand-in for systemd's `systemctl`, first on a daemon's PATH: no systemd runs on these machines,
 * so a test plays systemd itself (runs ExecStart, sends KillSignal) and this stub answers the one
 * question riplet asks on SIGTERM, `systemctl list-jobs --no-legend --plain --full UNIT`, as systemd
 * 252 does while that job runs: one row `ID UNIT TYPE STATE` per job on the unit (a `restart` job
 * stays a restart job until its stop half is done), nothing when none runs (--no-legend drops the
 * "No jobs running." line), and the header/footer only without --no-legend. Any other verb fails, as
 * it would without a bus.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** systemd's PATH for services (systemd.exec(5), "Environment variables in spawned processes"). */
const SYSTEMD_SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

type JobType = "start" | "stop" | "restart" | "reload";

export interface SystemctlStub {
  /** PATH with the stub first, then systemd's own PATH for services. */
  path: string;
  /** What list-jobs answers from now on: a running job of `type` on `unit`, or none. */
  setJob(unit: string, type: JobType | undefined): void;
  /** Every command line the stub was run with, oldest first. */
  calls(): string[];
}

const SCRIPT = (dir: string) => `#!/bin/sh
# interop stub of systemctl (interop/lab/systemd-stub.ts): list-jobs only, answered from ./jobs
echo "$*" >> '${dir}/calls'
[ "$1" = list-jobs ] || { echo "Failed to connect to bus: No such file or directory" >&2; exit 1; }
shift
legend=1 unit=
for a; do case "$a" in --no-legend) legend=0 ;; -*) ;; *) unit=$a ;; esac; done
rows=$(awk -v u="$unit" 'u == "" || $2 == u' '${dir}/jobs')
if [ -z "$rows" ]; then
  [ $legend = 1 ] && echo "No jobs running."
  exit 0
fi
[ $legend = 1 ] && echo "JOB UNIT TYPE STATE"
printf '%s\\n' "$rows"
[ $legend = 1 ] && printf '\\n%s jobs listed.\\n' "$(printf '%s\\n' "$rows" | wc -l)"
exit 0
`;

/** Writes the stub into `dir` (created) with no job running. */
export function writeSystemctlStub(dir: string): SystemctlStub {
  mkdirSync(dir, { recursive: true });
  const jobs = join(dir, "jobs");
  const calls = join(dir, "calls");
  writeFileSync(jobs, "");
  writeFileSync(join(dir, "systemctl"), SCRIPT(dir));
  chmodSync(join(dir, "systemctl"), 0o755);
  chmodSync(dir, 0o755);
  let nextId = 1800;
  return {
    path: `${dir}:${SYSTEMD_SERVICE_PATH}`,
    setJob: (unit, type) => {
      // systemd numbers jobs upwards; a new job replaces the unit's previous one
      writeFileSync(jobs, type ? `${nextId++} ${unit} ${type} running\n` : "");
    },
    calls: () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean) : []),
  };
}
