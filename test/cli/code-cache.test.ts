/**
 * The CLI's code cache (src/cli/code-cache.ts): a chunk is loaded with its `.v8` only when that cache
 * is its own, and a missing, stale or corrupt cache never changes what the chunk does. Each case runs
 * in a child process, as bin/riplet.js does: the loader hooks node's require for a directory.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANNED_DATAGRAM_HEX, type CannedDaemon, startCannedDaemon } from "../../src/cli/canned-daemon.js";

const loader = new URL("../../dist/cli/code-cache.cjs", import.meta.url).pathname;
const bin = new URL("../../bin/riplet.js", import.meta.url).pathname;

/** A directory of two chunks, a.cjs requiring b.cjs, as rolldown writes them. */
function chunks(): string {
  const dir = mkdtempSync(join(tmpdir(), "riplet-code-cache-"));
  writeFileSync(
    join(dir, "a.cjs"),
    'const b = require("./b.cjs");\nexports.answer = () => "a+" + b.part();\n',
  );
  writeFileSync(join(dir, "b.cjs"), 'exports.part = () => "b1";\n');
  return dir;
}

/** Requires a.cjs through the loader in `mode`: what a.answer() gave, and the loader's debug lines. */
function load(dir: string, mode: string): { answer: string; uses: string[] } {
  const program = `require(${JSON.stringify(loader)}).enableCodeCache(${JSON.stringify(dir)}, ${JSON.stringify(mode)});
process.stdout.write(require(${JSON.stringify(join(dir, "a.cjs"))}).answer());`;
  const child = spawnSync(process.execPath, ["-e", program], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(child.stderr);
  return { answer: child.stdout, uses: child.stderr.trim().split("\n").filter(Boolean) };
}

describe.runIf(existsSync(loader))("the code cache", () => {
  it("leaves a .cjs file elsewhere to node, as a dependency's (prom-client's) are", () => {
    const dir = chunks();
    const elsewhere = mkdtempSync(join(tmpdir(), "riplet-code-cache-dep-"));
    writeFileSync(join(elsewhere, "dep.cjs"), 'exports.part = () => "dep";\n');
    writeFileSync(
      join(dir, "b.cjs"),
      `exports.part = () => require(${JSON.stringify(join(elsewhere, "dep.cjs"))}).part();\n`,
    );
    expect(load(dir, "debug")).toEqual({
      answer: "a+dep",
      uses: ["code cache a.cjs: none", "code cache b.cjs: none"],
    });
  });

  it("is written on request, then used, with the chunks doing what they did", () => {
    const dir = chunks();
    expect(load(dir, "debug")).toEqual({
      answer: "a+b1",
      uses: ["code cache a.cjs: none", "code cache b.cjs: none"],
    });
    expect(load(dir, "write").answer).toBe("a+b1");
    expect(existsSync(join(dir, "a.cjs.v8")) && existsSync(join(dir, "b.cjs.v8"))).toBe(true);
    expect(load(dir, "debug")).toEqual({
      answer: "a+b1",
      uses: ["code cache a.cjs: used", "code cache b.cjs: used"],
    });
  });

  it("is not used for a chunk changed since, even to the same length, which V8 alone would accept", () => {
    const dir = chunks();
    load(dir, "write");
    writeFileSync(join(dir, "b.cjs"), 'exports.part = () => "b2";\n');
    expect(load(dir, "debug")).toEqual({
      answer: "a+b2",
      uses: ["code cache a.cjs: used", "code cache b.cjs: stale"],
    });
  });

  it("refused when its V8 data is not V8's: the chunk compiles as without it", () => {
    const dir = chunks();
    load(dir, "write");
    const cache = readFileSync(join(dir, "b.cjs.v8"));
    const headerEnd = cache.indexOf(10) + 1;
    writeFileSync(
      join(dir, "b.cjs.v8"),
      Buffer.concat([cache.subarray(0, headerEnd), Buffer.alloc(64, 0x5a)]),
    );
    expect(load(dir, "debug")).toEqual({
      answer: "a+b1",
      uses: ["code cache a.cjs: used", "code cache b.cjs: refused"],
    });
  });
});

describe.runIf(existsSync(join(bin, "..", "..", "dist", "cli", "main.cjs")))("the build's code cache", () => {
  let daemon: CannedDaemon;
  beforeAll(async () => {
    daemon = await startCannedDaemon();
  });
  afterAll(() => daemon.close());

  it.each([
    ["routes", ["routes"]],
    ["announce", ["announce", "198.51.100.0/24"]],
    ["decode", ["decode", "--hex", CANNED_DATAGRAM_HEX]],
  ])("is there for every chunk %s loads (npm run build trains it)", async (_name, args) => {
    // not execFileSync: the canned daemon answers from this process's event loop
    const { stderr } = await promisify(execFile)(bin, ["--socket", daemon.socket, ...args], {
      env: { ...process.env, RIPLET_CODE_CACHE: "debug" },
    });
    const uses = stderr.trim().split("\n");
    expect(uses.length).toBeGreaterThan(3);
    expect(
      uses.filter((line) => !line.endsWith(": used")),
      "run npm run build",
    ).toEqual([]);
  });
});
