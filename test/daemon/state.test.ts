import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
    await writeStateAtomically(path, { version: 1, routes: [route], sequence: 1795842861 });
    expect(loadState(path)).toEqual({
      state: { version: 1, routes: [route], sequence: 1795842861 },
      problems: [],
    });
    expect(readdirSync(join(path, ".."))).toEqual(["state.json"]);
  });

  it("a missing file is an empty state, without complaint", () => {
    expect(loadState(join(dir(), "none.json"))).toEqual({
      state: { version: 1, routes: [], sequence: 0 },
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
    expect(state).toEqual({ version: 1, routes: [route], sequence: 42 });
    expect(problems).toEqual([
      `${path}: routes[1] is not a valid route; skipped`,
      `${path}: routes[2] is not a valid route; skipped`,
    ]);
  });

  it("keeps each route's health check and each check's last verdict, dropping verdicts it cannot read", async () => {
    const path = join(dir(), "state.json");
    const checked = { ...route, check: { tcp: "127.0.0.1:443", interval: 1, fall: 2 } };
    const health = { "198.51.100.0/24": "healthy", "203.0.113.0/24": "failing" } as const;
    await writeStateAtomically(path, { version: 1, routes: [checked], sequence: 5, health });
    expect(loadState(path)).toEqual({
      state: { version: 1, routes: [checked], sequence: 5, health },
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
    expect(problems).toEqual([`${path}: routes[1] is not a valid route; skipped`]);
  });

  it("a failed write leaves the last good file", async () => {
    const d = dir();
    const path = join(d, "state.json");
    await writeStateAtomically(path, { version: 1, routes: [route], sequence: 1 });
    // A directory where the temp file should go makes the write fail, as a full disk would.
    mkdirSync(`${path}.tmp-${process.pid}`);
    await expect(writeStateAtomically(path, { version: 1, routes: [], sequence: 2 })).rejects.toThrow(
      /EISDIR/,
    );
    expect(JSON.parse(readFileSync(path, "utf8")).sequence).toBe(1);
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
      snapshot: () => ({ version: 1, routes: [], sequence: value }),
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
