import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadState, writeStateAtomically } from "../../src/daemon/state.js";

const dir = () => mkdtempSync(join(tmpdir(), "riplet-state-"));
const route = { prefix: "198.51.100.0/24", metric: 1, tag: 0, owner: "tap0" };

describe("state file", () => {
  it("round-trips, creating the directory, leaving no temp file", () => {
    const path = join(dir(), "deep", "state.json");
    writeStateAtomically(path, { version: 1, routes: [route], sequence: 1795842861 });
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

  it("a failed write leaves the last good file", () => {
    const d = dir();
    const path = join(d, "state.json");
    writeStateAtomically(path, { version: 1, routes: [route], sequence: 1 });
    // A directory where the temp file should go makes the write fail, as a full disk would.
    mkdirSync(`${path}.tmp-${process.pid}`);
    expect(() => writeStateAtomically(path, { version: 1, routes: [], sequence: 2 })).toThrow(/EISDIR/);
    expect(JSON.parse(readFileSync(path, "utf8")).sequence).toBe(1);
  });
});
