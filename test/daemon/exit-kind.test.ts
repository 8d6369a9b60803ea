/**
 * Stop or restart on SIGTERM (issue 16): the daemon keeps its routes on the gateway only when systemd
 * runs a restart job on its unit; everything else (a stop job, no job, no systemd, systemctl failing
 * or hanging, output it cannot read) withdraws. The outputs below are what systemd 252's
 * `systemctl list-jobs --no-legend --plain --full UNIT` prints (columns JOB UNIT TYPE STATE, padded
 * with spaces, no header or footer under --no-legend, nothing at all when no job runs).
 */
import { describe, expect, it } from "vitest";
import { decideExit, exitKindFromJobs, parseListJobs, systemdUnit } from "../../src/daemon/exit-kind.js";

const UNIT = "riplet.service";

const OUTPUTS = {
  // `systemctl restart riplet` (and try-restart, deb-systemd-invoke restart): the stop half of the job
  restart: "1843 riplet.service restart running\n",
  stop: "1851 riplet.service stop running\n",
  // poweroff: many jobs, the table padded to its widest cell
  shutdown: [
    "2001 poweroff.target        start waiting",
    "2010 riplet.service         stop  running",
    "2034 systemd-poweroff.service start waiting",
    "",
  ].join("\n"),
  none: "",
  // a job on another unit only (list-jobs was given a pattern that matched it)
  other: "1902 libvirtd.service restart running\n",
  // with colours forced (SYSTEMD_COLORS=1): the running row is highlighted
  coloured: "1843 riplet.service \u001b[0;1;39mrestart\u001b[0m \u001b[0;1;39mrunning\u001b[0m\n",
  garbage:
    "System has not been booted with systemd as init system (PID 1). Can't operate.\nNo jobs running.\n",
};

describe("list-jobs parsing", () => {
  it("reads each row's four columns", () => {
    expect(parseListJobs(OUTPUTS.shutdown)).toEqual([
      { id: 2001, unit: "poweroff.target", type: "start", state: "waiting" },
      { id: 2010, unit: "riplet.service", type: "stop", state: "running" },
      { id: 2034, unit: "systemd-poweroff.service", type: "start", state: "waiting" },
    ]);
    expect(parseListJobs(OUTPUTS.coloured)).toEqual([
      { id: 1843, unit: UNIT, type: "restart", state: "running" },
    ]);
  });

  it("skips what is not a job row", () => {
    expect(parseListJobs(OUTPUTS.garbage)).toEqual([]);
    expect(parseListJobs(OUTPUTS.none)).toEqual([]);
    expect(parseListJobs("JOB UNIT TYPE STATE\n")).toEqual([]);
  });

  it.each([
    ["restart", "restart", /restart job 1843 on riplet\.service/],
    ["coloured", "restart", /restart job 1843/],
    ["stop", "stop", /stop job on riplet\.service/],
    ["shutdown", "stop", /stop job on riplet\.service/],
    ["none", "stop", /no job on riplet\.service/],
    ["other", "stop", /no job on riplet\.service/],
    ["garbage", "stop", /no job on riplet\.service/],
  ] as const)("%s output → %s", (name, kind, reason) => {
    const decision = exitKindFromJobs(OUTPUTS[name], UNIT);
    expect(decision.kind).toBe(kind);
    expect(decision.reason).toMatch(reason);
  });

  it("a try-restart row (were one ever listed uncollapsed) is a restart", () => {
    expect(exitKindFromJobs("7 riplet.service try-restart running\n", UNIT).kind).toBe("restart");
  });
});

describe("the decision on a signal", () => {
  const answering = (text: string) => async () => text;

  it("asks systemctl about our unit and keeps routes only for a restart job", async () => {
    const asked: string[] = [];
    const listJobs = async (unit: string) => {
      asked.push(unit);
      return OUTPUTS.restart;
    };
    expect(await decideExit(UNIT, listJobs)).toMatchObject({ kind: "restart", unit: UNIT });
    expect(asked).toEqual([UNIT]);
    expect((await decideExit(UNIT, answering(OUTPUTS.stop))).kind).toBe("stop");
  });

  it("without a unit, systemctl is not asked: a stop", async () => {
    let asked = false;
    const decision = await decideExit(undefined, async () => {
      asked = true;
      return OUTPUTS.restart;
    });
    expect(decision).toEqual({ kind: "stop", reason: expect.stringMatching(/RIPLET_SYSTEMD_UNIT unset/) });
    expect(asked).toBe(false);
  });

  it("systemctl failing is a stop, with its first line as the reason", async () => {
    const decision = await decideExit(UNIT, async () => {
      throw new Error("Failed to connect to bus: Host is down\nmore");
    });
    expect(decision.kind).toBe("stop");
    expect(decision.reason).toBe("systemctl list-jobs failed: Failed to connect to bus: Host is down");
  });

  it("an exec that throws at once (no systemctl binary) is a stop, not a rejection", async () => {
    const decision = await decideExit(UNIT, () => {
      throw new Error("spawn systemctl ENOENT");
    });
    expect(decision).toMatchObject({
      kind: "stop",
      reason: "systemctl list-jobs failed: spawn systemctl ENOENT",
    });
  });

  it("systemctl hanging is a stop once the timeout passes, not a wait", async () => {
    const t0 = performance.now();
    const decision = await decideExit(UNIT, () => new Promise<string>(() => {}), 50);
    expect(decision.kind).toBe("stop");
    expect(decision.reason).toMatch(/no answer within 50 ms/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("which unit we run as", () => {
  const cgroup = (text: string | undefined) => () => text;
  const booted = () => true;
  const notBooted = () => false;

  it("RIPLET_SYSTEMD_UNIT (the unit's Environment=RIPLET_SYSTEMD_UNIT=%n) wins", () => {
    expect(systemdUnit({ RIPLET_SYSTEMD_UNIT: "riplet.service" }, cgroup(undefined), notBooted)).toBe(
      "riplet.service",
    );
  });

  it("else a riplet unit from the cgroup, on a systemd host only", () => {
    expect(systemdUnit({}, cgroup("0::/system.slice/riplet.service\n"), booted)).toBe("riplet.service");
    expect(systemdUnit({}, cgroup("1:name=systemd:/system.slice/riplet@eth0.service\n"), booted)).toBe(
      "riplet@eth0.service",
    );
    expect(systemdUnit({}, cgroup("0::/system.slice/riplet.service\n"), notBooted)).toBeUndefined();
  });

  it("a daemon detached from libvirtd's hook (in libvirtd's cgroup) is not libvirtd's unit", () => {
    expect(systemdUnit({}, cgroup("0::/system.slice/libvirtd.service\n"), booted)).toBeUndefined();
    expect(systemdUnit({}, cgroup("0::/user.slice/user-0.slice/session-3.scope\n"), booted)).toBeUndefined();
    expect(systemdUnit({}, cgroup(undefined), booted)).toBeUndefined();
  });
});
