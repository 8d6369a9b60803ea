/**
 * One supervisor (issue 16 point 3): a hook that finds no daemon asks systemd to start riplet.service
 * where systemd is booted and the unit installed, and never starts a detached copy then; elsewhere it
 * starts a detached daemon whose log survives logrotate's copytruncate. Temp dirs stand in for
 * /run/systemd/system and the unit directories; a fake exec and clock for systemctl and the socket.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  chooseSupervisor,
  openAppendLog,
  type ServiceDeps,
  type SystemdPaths,
  startService,
  unitSocket,
} from "../../src/host/supervisor.js";

const UNIT_TEXT = readFileSync(new URL("../../docs/riplet.service", import.meta.url), "utf8");
const SOCKET = "/run/riplet/riplet.sock";

/** A stand-in root: booted or not, the unit in some of the unit dirs, systemctl in one place. */
function host(options: {
  booted: boolean;
  unitIn?: string[];
  unitText?: string;
  systemctlIn?: "usr" | "bin";
}) {
  const root = mkdtempSync(join(tmpdir(), "riplet-supervisor-"));
  const dirs = ["etc", "run", "lib", "usr-lib"].map((d) => join(root, d));
  for (const dir of dirs) mkdirSync(dir);
  if (options.booted) mkdirSync(join(root, "run", "booted"));
  for (const name of options.unitIn ?? [])
    writeFileSync(join(root, name, "riplet.service"), options.unitText ?? UNIT_TEXT);
  const systemctl = [join(root, "usr-bin-systemctl"), join(root, "bin-systemctl")];
  writeFileSync(systemctl[options.systemctlIn === "bin" ? 1 : 0]!, "#!/bin/sh\n");
  const paths: SystemdPaths = { booted: join(root, "run", "booted"), unitDirs: dirs, systemctl };
  return { root, paths, systemctl };
}

describe("who starts the daemon for a hook", () => {
  it("systemd, by absolute path, when it is booted and riplet.service is installed", () => {
    for (const dir of ["etc", "run", "lib", "usr-lib"]) {
      const h = host({ booted: true, unitIn: [dir], systemctlIn: "bin" });
      expect(chooseSupervisor(SOCKET, h.paths)).toEqual({
        kind: "systemd",
        unitFile: join(h.root, dir, "riplet.service"),
        systemctl: h.systemctl[1], // the first that exists: a hook from libvirt has no PATH
      });
    }
  });

  it("a detached daemon when systemd is not booted, even with the unit installed", () => {
    const h = host({ booted: false, unitIn: ["lib"] });
    expect(chooseSupervisor(SOCKET, h.paths)).toEqual({ kind: "detached", why: "systemd is not running" });
  });

  it("a detached daemon when systemd runs but riplet.service is not installed", () => {
    const h = host({ booted: true });
    expect(chooseSupervisor(SOCKET, h.paths)).toEqual({
      kind: "detached",
      why: "no riplet.service is installed",
    });
  });

  it("a detached daemon for a hook on another socket than the unit's (riplet demo, a second instance)", () => {
    const h = host({ booted: true, unitIn: ["lib"] });
    expect(chooseSupervisor("/tmp/riplet-demo/riplet.sock", h.paths)).toEqual({
      kind: "detached",
      why: "riplet.service serves /run/riplet/riplet.sock, not /tmp/riplet-demo/riplet.sock",
    });
  });

  it("the unit in /etc overrides the packaged one, and its socket is the one that counts", () => {
    const moved = UNIT_TEXT.replace(/--socket \S+/, "--socket /run/riplet-b/riplet.sock");
    const h = host({ booted: true, unitIn: ["lib"] });
    writeFileSync(join(h.root, "etc", "riplet.service"), moved);
    expect(chooseSupervisor("/run/riplet-b/riplet.sock", h.paths)).toMatchObject({
      kind: "systemd",
      unitFile: join(h.root, "etc", "riplet.service"),
    });
    expect(chooseSupervisor(SOCKET, h.paths)).toMatchObject({ kind: "detached" });
  });

  it("reads the socket from the last ExecStart, in either option form, or the default", () => {
    expect(unitSocket(UNIT_TEXT)).toBe(SOCKET);
    expect(unitSocket("[Service]\nExecStart=/usr/bin/riplet --socket=/run/x.sock daemon\n")).toBe(
      "/run/x.sock",
    );
    expect(unitSocket("ExecStart=/usr/bin/riplet daemon -c /etc/riplet/riplet.yaml\n")).toBe(SOCKET);
    // a drop-in's reset-then-set: the last non-empty one wins
    const dropIn =
      "ExecStart=/a --socket /run/a.sock daemon\nExecStart=\nExecStart=/b --socket /run/b.sock daemon";
    expect(unitSocket(dropIn)).toBe("/run/b.sock");
  });
});

/** A fake clock that moves only when the code sleeps, and a socket that answers from poll `upAt` on. */
function fakes(options: { upAt?: number; fails?: string } = {}) {
  let now = 0;
  let polls = 0;
  const ran: string[][] = [];
  const deps: ServiceDeps = {
    run: async (file, args) => {
      ran.push([file, ...args]);
      if (options.fails) throw new Error(options.fails);
    },
    answers: async () => options.upAt !== undefined && ++polls >= options.upAt,
    sleep: async (ms) => {
      now += ms;
    },
    now: () => now,
  };
  return { deps, ran, elapsed: () => now };
}

describe("starting riplet.service", () => {
  it("runs `systemctl start riplet.service` once and returns when the socket answers", async () => {
    const f = fakes({ upAt: 4 });
    await startService("/usr/bin/systemctl", SOCKET, f.deps);
    expect(f.ran).toEqual([["/usr/bin/systemctl", "start", "riplet.service"]]);
    expect(f.elapsed()).toBe(150); // three 50 ms waits
  });

  it("a failed start says what systemctl said and where to look, and starts nothing else", async () => {
    const f = fakes({ fails: "/usr/bin/systemctl start riplet.service: Unit riplet.service is masked." });
    await expect(startService("/usr/bin/systemctl", SOCKET, f.deps)).rejects.toThrow(
      "no daemon on /run/riplet/riplet.sock, and /usr/bin/systemctl start riplet.service: Unit riplet.service is masked; see `systemctl status riplet` and `journalctl -u riplet`",
    );
    expect(f.ran).toHaveLength(1);
  });

  it("a service that never opens the socket fails within the budget, pointing at its status and journal", async () => {
    const f = fakes();
    await expect(startService("/usr/bin/systemctl", SOCKET, f.deps, 2000)).rejects.toThrow(
      "riplet.service started but did not open /run/riplet/riplet.sock within 2 s; see `systemctl status riplet` and `journalctl -u riplet`",
    );
    expect(f.elapsed()).toBe(2000);
    expect(f.ran).toHaveLength(1);
  });
});

/**
 * A child that writes each line it reads on stdin to its stdout (`fd`), as the detached daemon logs,
 * then the file cut to 0 behind its back as logrotate's copytruncate does, then one more line.
 */
async function truncatedUnderWriter(fd: number, path: string): Promise<Buffer> {
  const echo = "process.stdin.on('data', (d) => { process.stdout.write(d); process.send?.('written'); });";
  const child = spawn(process.execPath, ["-e", echo], { stdio: ["pipe", fd, "inherit", "ipc"] });
  closeSync(fd);
  const stdin = child.stdin!;
  const written = () => new Promise((r) => child.once("message", r));
  stdin.write(`${"before rotation ".repeat(256)}\n`);
  await written();
  truncateSync(path, 0);
  stdin.write("after rotation\n");
  await written();
  stdin.end();
  await new Promise((r) => child.once("exit", r));
  return readFileSync(path);
}

describe("the detached daemon's log under logrotate's copytruncate", () => {
  it("grows from 0 again after the cut: O_APPEND, no hole of zeros", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "riplet-log-")), "log", "daemon.log");
    const after = await truncatedUnderWriter(openAppendLog(path), path);
    expect(after.toString()).toBe("after rotation\n");
  });

  it("(why: a descriptor without O_APPEND writes at its old offset, behind a sparse hole)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "riplet-log-")), "daemon.log");
    const after = await truncatedUnderWriter(openSync(path, "w"), path);
    expect(after.length).toBeGreaterThan(4096);
    expect(after[0]).toBe(0);
  });
});
