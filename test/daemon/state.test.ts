import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadState, writeStateAtomically } from "../../src/daemon/state.js";
import { StateWriter } from "../../src/daemon/state-writer.js";

const dir = () => mkdtempSync(join(tmpdir(), "riplet-state-"));
const route = { prefix: "198.51.100.0/24", metric: 1, tag: 0, owner: "tap0" };

describe("state file", () => {
  it("round-trips, creating the directory, leaving no temp file", async () => {
    const path = join(dir(), "deep", "state.json");
    await writeStateAtomically(path, { version: 2, routes: [route], sequence: 1795842861 });
    expect(loadState(path)).toEqual({
      state: { version: 2, routes: [route], sequence: 1795842861 },
      problems: [],
    });
    expect(readdirSync(join(path, ".."))).toEqual(["state.json"]);
  });

  it("a missing file is an empty state, without complaint", () => {
    expect(loadState(join(dir(), "none.json"))).toEqual({
      state: { version: 2, routes: [], sequence: 0 },
      problems: [],
    });
  });

  it("a half-written file is reported and nothing is announced from it", () => {
    const path = join(dir(), "state.json");
    writeFileSync(path, '{"version":1,"routes":[{"prefix":"198.51.1');
    const { state, problems } = loadState(path);
    expect(state.routes).toEqual([]);
    expect(problems[0]).toMatch(/not valid JSON \(half-written or corrupted\)/);
  });

  it("keeps the valid routes of a damaged file and says what it skipped", () => {
    const path = join(dir(), "state.json");
    writeFileSync(
      path,
      JSON.stringify({ version: 1, sequence: 42, routes: [route, { prefix: 7 }, { ...route, metric: 99 }] }),
    );
    const { state, problems } = loadState(path);
    expect(state).toEqual({ version: 2, routes: [route], sequence: 42 });
    expect(problems).toEqual([
      `${path}: routes[1] is not a valid route; skipped: prefix: must be a string, e.g. 198.51.100.0/24`,
      `${path}: routes[2] is not a valid route; skipped: metric: must be a whole number from 1 to 15 (got 99)`,
    ]);
  });

  it("keeps each route's health check and each check's last verdict, dropping verdicts it cannot read", async () => {
    const path = join(dir(), "state.json");
    const checked = { ...route, check: { tcp: "127.0.0.1:443", interval: 1, fall: 2 } };
    const health = { "198.51.100.0/24": "healthy", "203.0.113.0/24": "failing" } as const;
    await writeStateAtomically(path, { version: 2, routes: [checked], sequence: 5, health });
    expect(loadState(path)).toEqual({
      state: { version: 2, routes: [checked], sequence: 5, health },
      problems: [],
    });

    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        sequence: 5,
        routes: [checked, { ...route, check: { tcp: "no port" } }],
        health: { "198.51.100.0/24": "healthy", "203.0.113.0/24": "sideways" },
      }),
    );
    const { state, problems } = loadState(path);
    expect(state.routes).toEqual([checked]); // a route whose check is damaged is not announced unchecked
    expect(state.health).toEqual({ "198.51.100.0/24": "healthy" });
    expect(problems).toEqual([
      `${path}: routes[1] is not a valid route; skipped: check.tcp: host:port, e.g. 127.0.0.1:80`,
    ]);
  });

  it("a failed write leaves the last good file and no temp file", async () => {
    const d = dir();
    const path = join(d, "state.json");
    await writeStateAtomically(path, { version: 2, routes: [route], sequence: 1 });
    // The rename fails, as it would on a full or read-only disk: the old file and nothing else remain.
    const blocked = join(d, "blocked");
    mkdirSync(join(blocked, "x"), { recursive: true });
    await expect(writeStateAtomically(blocked, { version: 2, routes: [], sequence: 2 })).rejects.toThrow(
      /EISDIR|ENOTEMPTY|EEXIST/,
    );
    expect(readdirSync(d).sort()).toEqual(["blocked", "state.json"]);
    expect(JSON.parse(readFileSync(path, "utf8")).sequence).toBe(1);
  });
});

describe("state file, hostile (issue 13)", () => {
  const write = (entries: unknown[], extra: object = {}) => {
    const path = join(dir(), "state.json");
    writeFileSync(path, JSON.stringify({ version: 1, sequence: 7, routes: entries, ...extra }));
    return path;
  };

  it("skips a saved entry the control socket would refuse, naming the field, and keeps the rest", () => {
    const path = write([
      { ...route, prefix: "198.51.100.128/25", nextHop: "bogus" },
      { ...route, nextHop: "224.0.0.1" },
      { ...route, prefix: "2001:db8:42::/48", nextHop: "192.0.2.1" },
      { ...route, owner: "tap0; rm -rf /" },
      { ...route, prefix: "::ffff:127.0.0.0/104" },
      { ...route, prefix: "169.254.0.0/16" },
      route,
    ]);
    const { state, problems } = loadState(path);
    expect(state.routes).toEqual([route]);
    expect(problems).toEqual([
      `${path}: routes[0] is not a valid route; skipped: nextHop: "bogus" is not an IP address; give one like 192.0.2.1 or fe80::1`,
      expect.stringMatching(/routes\[1\] is not a valid route; skipped: nextHop: 224\.0\.0\.1 is multicast/),
      expect.stringMatching(
        /routes\[2\] is not a valid route; skipped: nextHop: 192\.0\.2\.1 is IPv4 but the route is IPv6/,
      ),
      expect.stringMatching(/routes\[3\] is not a valid route; skipped: owner: .* is not an interface name/),
      expect.stringMatching(
        /routes\[4\] is not a valid route; skipped: ::ffff:127\.0\.0\.0\/104 is IPv4-mapped/,
      ),
      expect.stringMatching(
        /routes\[5\] is not a valid route; skipped: 169\.254\.0\.0\/16 is IPv4 link-local/,
      ),
    ]);
  });

  it.each([
    [2 ** 40, 0xffffffff, /sequence 1099511627776 is above 2\^32 - 1 .*clamped to 4294967295/],
    [2 ** 32, 0xffffffff, /clamped/],
    [1.5, 0, /sequence 1\.5 is not a whole number; using Unix time/],
    [-1, 0, /not a whole number/],
    ["12", 0, /not a whole number/],
  ])("sequence %j is read as %d with a problem, never fatal", (sequence, read, problem) => {
    const path = write([route], { sequence });
    const { state, problems } = loadState(path);
    expect(state.sequence).toBe(read);
    expect(state.routes).toEqual([route]);
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it("keeps the largest sequence there is, 2^32 - 1, without a problem", () => {
    expect(loadState(write([route], { sequence: 0xffffffff }))).toMatchObject({
      state: { sequence: 0xffffffff },
      problems: [],
    });
  });

  it("keeps no verdict whose key is not a prefix (no __proto__)", () => {
    const path = join(dir(), "state.json");
    writeFileSync(
      path,
      '{"version":1,"sequence":1,"routes":[],"health":{"__proto__":"healthy","x":"failing","198.51.100.0/24":"failing"}}',
    );
    expect(loadState(path).state.health).toEqual({ "198.51.100.0/24": "failing" });
  });

  it("never writes through a symlink planted at the old predictable temp name", async () => {
    const d = dir();
    const victim = join(d, "victim");
    writeFileSync(victim, "precious\n");
    const path = join(d, "state.json");
    symlinkSync(victim, `${path}.tmp-${process.pid}`);
    await writeStateAtomically(path, { version: 2, routes: [route], sequence: 3 });
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(path).isFile()).toBe(true);
    expect(loadState(path).state.sequence).toBe(3);
  });

  it("reads no state through a symlink", () => {
    const d = dir();
    const target = join(d, "elsewhere.json");
    writeFileSync(target, JSON.stringify({ version: 1, sequence: 9, routes: [route] }));
    const path = join(d, "state.json");
    symlinkSync(target, path);
    const { state, problems } = loadState(path);
    expect(state.routes).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/cannot read .*ELOOP/)]);
  });

  it("writes the file 0600", async () => {
    const path = join(dir(), "state.json");
    await writeStateAtomically(path, { version: 2, routes: [], sequence: 1 });
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
  });
});

describe("StateWriter", () => {
  /** A write that takes until the test lets it finish, recording what it was given. */
  function harness() {
    const writes: number[] = [];
    const finish: (() => void)[] = [];
    let value = 0;
    const errors: string[] = [];
    const writer = new StateWriter({
      snapshot: () => ({ version: 2 as const, routes: [], sequence: value }),
      write: (state) => {
        writes.push(state.sequence);
        return new Promise((resolve, reject) => {
          finish.push(() => (state.sequence < 0 ? reject(new Error("disk full")) : resolve()));
        });
      },
      onError: (error) => errors.push(error.message),
    });
    return {
      writer,
      writes,
      finish,
      errors,
      set: (v: number) => {
        value = v;
      },
    };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it("requests made during a write share one more write, of the state as it is when it starts", async () => {
    const h = harness();
    h.set(1);
    let done = 0;
    const first = h.writer.save().then(() => done++);
    h.set(2);
    const later = [h.writer.save(), h.writer.save(), h.writer.save()].map((p) => p.then(() => done++));
    h.set(3);
    expect(h.writes).toEqual([1]);
    h.finish.shift()!();
    await first;
    await tick();
    expect(done).toBe(1); // the later ones wait for a write that started after them
    expect(h.writes).toEqual([1, 3]);
    h.finish.shift()!();
    await Promise.all(later);
    expect(done).toBe(4);
    await h.writer.flush();
  });

  it("a failed write is reported, its callers still answered, and the next save writes again", async () => {
    const h = harness();
    h.set(-1);
    const failed = h.writer.save();
    h.finish.shift()!();
    await failed;
    expect(h.errors).toEqual(["disk full"]);
    h.set(5);
    const next = h.writer.save();
    h.finish.shift()!();
    await next;
    expect(h.writes).toEqual([-1, 5]);
  });
});
