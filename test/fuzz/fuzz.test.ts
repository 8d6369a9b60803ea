/**
 * The short CI run of the fuzzers of issue #7 (the long run is `npm run fuzz`, bench/fuzz.ts): every
 * target of bench/fuzz-targets.ts for a few hundred inputs, and every finding ever kept in
 * test/fixtures/fuzz replayed. RIPLET_FUZZ_RUNS scales the number of inputs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIXTURE_NAME, fixtureName } from "../../bench/fuzz-check.js";
import { createTargets, readCorpus } from "../../bench/fuzz-targets.js";
import { readCapture } from "../../src/capture/pcap.js";

const runs = Number(process.env.RIPLET_FUZZ_RUNS ?? 400);
const fixtures = join(import.meta.dirname, "..", "fixtures");
const findings = join(fixtures, "fuzz");
const corpus = readCorpus(fixtures);

describe("fuzz corpus", () => {
  it("holds datagrams from every capture, and the keys of every auth mode", () => {
    const held = new Set(corpus.datagrams.map((d) => Buffer.from(d.payload).toString("hex")));
    for (const file of readdirSync(fixtures).filter((f) => f.endsWith(".pcap"))) {
      const items = readCapture(readFileSync(join(fixtures, file)));
      const payloads = items.flatMap((item) =>
        "payload" in item ? [Buffer.from(item.payload).toString("hex")] : [],
      );
      expect(payloads.length, file).toBeGreaterThan(0);
      expect(
        payloads.filter((p) => !held.has(p)),
        file,
      ).toEqual([]);
    }
    const modes = new Set(corpus.keys.map((k) => k.mode));
    expect([...modes].sort()).toEqual([
      "hmac-sha1",
      "hmac-sha256",
      "hmac-sha384",
      "hmac-sha512",
      "md5",
      "simple",
    ]);
  });
});

describe("fuzz: short run", () => {
  // Inbound targets cost more per input (a Speaker, crypto); decoders are cheap.
  for (const target of createTargets(corpus)) {
    it(`${target.name}: no exception escapes, no invariant breaks`, () => {
      fc.assert(
        fc.property(target.input, (input) => target.run(input)),
        { numRuns: target.name.startsWith("inbound") ? runs : runs * 2 },
      );
    });
  }
});

describe("fuzz: every kept finding", () => {
  it("test/fixtures/fuzz exists and says how findings are kept", () => {
    expect(existsSync(join(findings, "README.md"))).toBe(true);
  });

  it("replays cleanly on fresh targets, under its own name", () => {
    const files = readdirSync(findings).filter((f) => f !== "README.md");
    const problems: string[] = [];
    for (const file of files) {
      const match = FIXTURE_NAME.exec(file);
      const bytes = new Uint8Array(readFileSync(join(findings, file)));
      const target = match && createTargets(corpus).find((t) => t.name === match[1]);
      if (!target) {
        problems.push(`${file}: not <target>-<sha1-8>.bin with a known target`);
      } else if (fixtureName(target.name, bytes) !== file) {
        problems.push(`${file}: its SHA-1 starts ${fixtureName(target.name, bytes)}`);
      } else {
        try {
          target.run(target.fromBytes(bytes));
        } catch (error) {
          problems.push(
            `${file}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
