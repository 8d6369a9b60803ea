/**
 * The journaled state file (issue 15): a change costs one appended line, the snapshot is rewritten
 * only when the journal outgrows it or at a clean stop, and the loader gets back exactly the state
 * that was written, whatever a crash cut short.
 */
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeJournal, headerLine, journalPath, recordLine } from "../../src/daemon/journal.js";
import { loadState, type SavedRoute, type Verdicts } from "../../src/daemon/state.js";
import { JournaledState, type StateBatch, StateWriter } from "../../src/daemon/state-writer.js";

const dir = () => mkdtempSync(join(tmpdir(), "riplet-journal-"));
const v4 = (i: number) => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
const route = (i: number, metric = 1): SavedRoute => ({ prefix: v4(i), metric, tag: 0, owner: "tap0" });

/** What the route store and the speaker give the state file, as plain maps. */
function model() {
  const routes = new Map<string, SavedRoute>();
  const dirty = new Set<string>();
  const m = {
    sequence: 0,
    health: {} as Verdicts,
    put(r: SavedRoute) {
      routes.set(r.prefix, r);
      dirty.add(r.prefix);
    },
    remove(prefix: string) {
      routes.delete(prefix);
      dirty.add(prefix);
    },
    sorted: () => [...routes.values()].sort((a, b) => a.prefix.localeCompare(b.prefix)),
    source: {
      changes() {
        const changed = [...dirty];
        dirty.clear();
        return {
          routes: changed.filter((p) => routes.has(p)).map((p) => routes.get(p)!),
          removed: changed.filter((p) => !routes.has(p)),
        };
      },
      routes: () => [...routes.values()],
      sequence: () => m.sequence,
      health: () => m.health,
    },
  };
  return m;
}

function store(path: string, m: ReturnType<typeof model>) {
  const files = new JournaledState(() => path, m.source);
  const errors: string[] = [];
  const writer = new StateWriter<StateBatch>({
    snapshot: () => files.take(),
    write: (batch) => files.write(batch),
    onError: (error) => errors.push(error.message),
  });
  return { files, writer, errors };
}

const loaded = (path: string) => {
  const { state, problems } = loadState(path);
  return { ...state, routes: [...state.routes].sort((a, b) => a.prefix.localeCompare(b.prefix)), problems };
};

describe("journal lines", () => {
  it("reads the header's generation and each whole record, and counts a torn tail", () => {
    const text = `${headerLine("ab12")}${recordLine({ sequence: 5 })}${recordLine({ removed: ["x"] })}{"rou`;
    expect(decodeJournal(text)).toEqual({
      generation: "ab12",
      records: [{ sequence: 5 }, { removed: ["x"] }],
      tornBytes: 5,
    });
  });

  it("stops at the first line that is not whole JSON, even with good lines after it", () => {
    const text = `${headerLine("ab12")}${recordLine({ sequence: 5 })}\0\0\0\n${recordLine({ sequence: 9 })}`;
    const decoded = decodeJournal(text);
    expect(decoded.records).toEqual([{ sequence: 5 }]);
    expect(decoded.tornBytes).toBe(4 + recordLine({ sequence: 9 }).length);
  });

  it("a file without a header has no generation and no records", () => {
    expect(decodeJournal(recordLine({ sequence: 5 }))).toMatchObject({ generation: undefined, records: [] });
  });
});

describe("journaled state file", () => {
  it("the first write is a snapshot; each later change is one short line, the snapshot untouched", async () => {
    const path = join(dir(), "state.json");
    const m = model();
    for (let i = 0; i < 5000; i++) m.put(route(i));
    const s = store(path, m);
    await s.writer.save();
    const snapshot = readFileSync(path, "utf8");
    expect(JSON.parse(snapshot)).toMatchObject({
      version: 2,
      generation: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(statSync(journalPath(path)).size).toBe(headerLine("0".repeat(16)).length);
    let before = statSync(journalPath(path)).size;
    for (let i = 0; i < 50; i++) {
      m.put(route(10_000 + i, 3));
      m.remove(v4(i));
      m.sequence = 1000 + i;
      await s.writer.save();
      const size = statSync(journalPath(path)).size;
      expect(size - before).toBeLessThan(200); // O(1) per change, not 5,000 routes
      before = size;
    }
    expect(readFileSync(path, "utf8")).toBe(snapshot);
    expect(loaded(path)).toMatchObject({ routes: m.sorted(), sequence: 1049, problems: [] });
  });

  it("writes nothing when nothing changed", async () => {
    const path = join(dir(), "state.json");
    const m = model();
    const s = store(path, m);
    m.put(route(1));
    await s.writer.save();
    await s.writer.save();
    m.put(route(2));
    await s.writer.save();
    const size = statSync(journalPath(path)).size;
    await s.writer.save();
    expect(statSync(journalPath(path)).size).toBe(size);
  });

  it("compacts when the journal outgrows twice the snapshot, and at a clean stop", async () => {
    const path = join(dir(), "state.json");
    const m = model();
    const s = store(path, m);
    m.put(route(0));
    await s.writer.save();
    const first = JSON.parse(readFileSync(path, "utf8")).generation;
    let compactions = 0;
    let generation = first;
    for (let i = 0; i < 2000; i++) {
      m.put(route(i % 20, (i % 15) + 1));
      await s.writer.save();
      const now = JSON.parse(readFileSync(path, "utf8")).generation;
      if (now !== generation) compactions++;
      generation = now;
      expect(statSync(journalPath(path)).size).toBeLessThan(2 * statSync(path).size + 64 * 1024 + 200);
    }
    expect(compactions).toBeGreaterThan(0);
    expect(loaded(path).routes).toEqual(m.sorted());
    m.health = { [v4(1)]: "failing" };
    await s.writer.save();
    await s.files.close();
    expect(readFileSync(journalPath(path), "utf8")).toMatch(/^[^\n]*\n$/); // the header alone
    expect(loaded(path)).toMatchObject({ routes: m.sorted(), health: { [v4(1)]: "failing" }, problems: [] });
  });

  it("a torn last record is dropped with a problem; a new start writes a clean snapshot and journal", async () => {
    const path = join(dir(), "state.json");
    const m = model();
    const s = store(path, m);
    m.put(route(1));
    await s.writer.save();
    m.put(route(2));
    m.sequence = 7;
    await s.writer.save();
    appendFileSync(journalPath(path), '{"routes":[{"prefix":"198.18.0.3/32","met');
    const { problems, ...state } = loaded(path);
    expect(state).toMatchObject({ routes: [route(1), route(2)], sequence: 7 });
    expect(problems).toEqual([
      expect.stringMatching(/journal: 41 bytes after the last whole record dropped/),
    ]);

    const restarted = store(path, m);
    m.put(route(3));
    await restarted.writer.save();
    expect(loaded(path)).toMatchObject({ routes: [route(1), route(2), route(3)], problems: [] });
  });

  it("a journal of another generation is not replayed, but its sequence numbers still count", () => {
    const path = join(dir(), "state.json");
    writeFileSync(path, JSON.stringify({ version: 2, generation: "aaaa", sequence: 10, routes: [route(1)] }));
    writeFileSync(
      journalPath(path),
      headerLine("bbbb") + recordLine({ routes: [route(2)], removed: [v4(1)], sequence: 99 }),
    );
    const { problems, ...state } = loaded(path);
    expect(state).toMatchObject({ routes: [route(1)], sequence: 99 });
    expect(problems).toEqual([
      expect.stringMatching(/state\.json\.journal does not follow .*state\.json; its 1 records skipped/),
    ]);
  });

  it("never moves the sequence number backwards: a lower number in a record is ignored", () => {
    const path = join(dir(), "state.json");
    writeFileSync(path, JSON.stringify({ version: 2, generation: "aaaa", sequence: 50, routes: [] }));
    writeFileSync(
      journalPath(path),
      headerLine("aaaa") + recordLine({ sequence: 70 }) + recordLine({ sequence: 60 }),
    );
    expect(loaded(path).sequence).toBe(70);
  });

  it("validates every journaled entry as a saved route is, and keeps the rest", () => {
    const path = join(dir(), "state.json");
    writeFileSync(path, JSON.stringify({ version: 2, generation: "aaaa", sequence: 1, routes: [route(1)] }));
    writeFileSync(
      journalPath(path),
      headerLine("aaaa") +
        recordLine({
          routes: [
            route(2),
            { ...route(3), owner: "tap0; rm -rf /" },
            { prefix: "0.0.0.0/0", metric: 99, tag: 0 },
          ],
          removed: [42, v4(1)],
          health: { __proto__: "healthy", [v4(2)]: "failing", x: "failing" },
          sequence: 2 ** 40,
        }),
    );
    const { problems, ...state } = loaded(path);
    expect(state).toMatchObject({ routes: [route(2)], health: { [v4(2)]: "failing" }, sequence: 0xffffffff });
    expect(problems).toEqual([
      expect.stringMatching(/record 1: routes\[1\] is not a valid route; skipped: owner:/),
      expect.stringMatching(/record 1: routes\[2\] is not a valid route; skipped: metric:/),
      expect.stringMatching(/record 1: sequence 1099511627776 is above 2\^32 - 1/),
    ]);
  });

  it("migrates a version 1 file: read as the snapshot, rewritten as version 2 at the first write", async () => {
    const path = join(dir(), "state.json");
    writeFileSync(path, JSON.stringify({ version: 1, sequence: 42, routes: [route(1)] }, null, 1));
    expect(loaded(path)).toMatchObject({ routes: [route(1)], sequence: 42, problems: [] });
    const m = model();
    m.put(route(1));
    m.sequence = 42;
    const s = store(path, m);
    m.put(route(2));
    await s.writer.save();
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({
      version: 2,
      routes: [route(1), route(2)],
    });
    expect(loaded(path)).toMatchObject({ routes: [route(1), route(2)], sequence: 42, problems: [] });
  });

  it("a failed write is reported and the next one starts a fresh snapshot", async () => {
    const d = dir();
    const m = model();
    let path = join(d, "missing", "state.json");
    const files = new JournaledState(() => path, m.source);
    m.put(route(1));
    writeFileSync(join(d, "missing"), "a file where the directory should be");
    await expect(files.write(files.take())).rejects.toThrow(/EEXIST|ENOTDIR/);
    path = join(d, "state.json");
    m.put(route(2));
    const batch = files.take();
    expect(batch.kind).toBe("snapshot");
    await files.write(batch);
    expect(loaded(path).routes).toEqual([route(1), route(2)]);
  });
});
