/** The per-tap records a restarted daemon reads back: written whole, read as hostile input. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRecords, removeRecord, tapFiles, writeRecord } from "../../src/guests/records.js";
import { parseTapAddress } from "../../src/host/addresses.js";

const record = {
  ifname: "tap0",
  addresses: [parseTapAddress("198.51.100.1/24")],
  settings: { dhcp: true, ra: false, dns: ["203.0.113.53"] },
};

describe("guest server records", () => {
  it("round-trips, and a removed record keeps the lease file for the next VM on the tap", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "riplet-guests-")), "guests");
    writeRecord(dir, record);
    expect(readRecords(dir)).toEqual({ records: [record], problems: [] });
    const files = tapFiles(dir, "tap0");
    writeFileSync(files.leases, "1796300000 52:54:00:12:34:56 198.51.100.23 guest1 *\n");
    removeRecord(dir, "tap0");
    expect(readRecords(dir).records).toEqual([]);
    expect(readFileSync(files.leases, "utf8")).toContain("198.51.100.23");
  });

  it("skips, and names, records that do not check out", () => {
    const dir = mkdtempSync(join(tmpdir(), "riplet-guests-"));
    writeFileSync(join(dir, "tap1.json"), "{not json");
    writeFileSync(
      join(dir, "tap2.json"),
      JSON.stringify({ ifname: "tap9", addresses: [], settings: { dhcp: true, ra: true } }),
    );
    writeFileSync(
      join(dir, "tap3.json"),
      JSON.stringify({ ifname: "tap3", addresses: ["1.1.1.1/24/x"], settings: { dhcp: true, ra: true } }),
    );
    writeFileSync(
      join(dir, "tap4.json"),
      JSON.stringify({ ifname: "tap4", addresses: [], settings: { dhcp: "yes", ra: true } }),
    );
    writeFileSync(
      join(dir, "tap5.json"),
      JSON.stringify({ ifname: "tap5", addresses: [], settings: { dhcp: true, ra: true, dns: ["x"] } }),
    );
    writeFileSync(join(dir, "bad name!.json"), "{}");
    const { records, problems } = readRecords(dir);
    expect(records).toEqual([]);
    expect(problems).toHaveLength(6);
    expect(problems.find((p) => p.includes("tap2.json"))).toMatch(/names "tap9", not tap2/);
    expect(problems.find((p) => p.includes("tap3.json"))).toMatch(/not an interface address/);
  });
});
