import { describe, expect, it } from "vitest";
import {
  type FrrFigures,
  frrLines,
  ratioLines,
  type SenderFigures,
  senderLines,
} from "../../bench/interop/scale-lines.js";
import { renderResults } from "../../bench/report.js";

const summary = (value: number) => ({
  value,
  p90: value,
  max: value,
  min: value,
  trials: 5,
  samples: [value],
});

const riplet: SenderFigures = {
  converge: { ipv4: { ms: 2050, missing: 0 }, ipv6: { ms: 2406, missing: 0 } },
  gatewayDrops: { ipv4: 0, ipv6: 0 },
  rssMiB: 80,
  cpuPerUpdateMs: 40,
  announce: { ack: summary(3.4), kernel: summary(18), timedOut: 0 },
  oneByOne: { sentMs: 2000, allMs: 2010, missing: 0 },
};
const frr: FrrFigures = {
  converge: { ipv4: { ms: 30_126, missing: 0 }, ipv6: { ms: 120_000, missing: 777 } },
  gatewayDrops: { ipv4: 197, ipv6: 1214 },
  rssMiB: 20,
  stackRssMiB: 40,
  cpuPerUpdateMs: 0,
  announce: { ack: summary(6), kernel: summary(30_000), timedOut: 3 },
  oneByOne: { sentMs: 50, allMs: 120_000, missing: 574 },
};

describe("the scale curve's lines, as the report reads them", () => {
  const ours = senderLines("riplet", 10_000, riplet, 120_000);
  const theirs = frrLines(10_000, frr, 120_000);
  const ratios = ratioLines(10_000, ours, theirs, frr.stackRssMiB);
  const md = renderResults([...ours, ...theirs, ...ratios]);
  const row = (heading: string) =>
    md
      .slice(md.indexOf(heading))
      .split("\n")
      .find((l) => l.startsWith("| 10,000 |"))!
      .replace(/ \|$/, "")
      .split(" | ");

  it("names every figure with its size, and the rate from the acknowledged announces", () => {
    expect(ours.map((l) => l.name)).toContain("scale.converge.riplet.ipv6.n10000");
    expect(ours.find((l) => l.name === "scale.one-by-one-rate.riplet.n10000")?.value).toBe(500);
  });

  it("bounds ratios on FRR's missed deadlines and leaves out a division by a 0 CPU figure", () => {
    const byName = new Map(ratios.map((l) => [l.name, l]));
    expect(byName.get("ratio.scale.converge.riplet/frr-ripd.ipv6.n10000")).toMatchObject({
      bound: "at most",
    });
    expect(byName.get("ratio.scale.converge.riplet/frr-ripd.ipv4.n10000")?.bound).toBeUndefined();
    expect(byName.get("ratio.scale.announce.riplet/frr-ripd.n10000")).toMatchObject({
      value: 0.0006,
      bound: "at most",
    });
    expect(byName.get("ratio.scale.rss.riplet/frr-stack.n10000")?.value).toBe(2);
    expect(byName.has("ratio.scale.cpu-per-update.riplet/frr-ripd.n10000")).toBe(false);
  });

  it("lands in the curve tables with FRR's bounds shown as such", () => {
    expect(row("**Memory").slice(1, 6)).toEqual(["80 MiB", "20 MiB", "4.00", "40 MiB", "2.00"]);
    expect(row("**Convergence").slice(1, 8)).toEqual([
      "2.41 s",
      "> 120.00 s (777 missing)",
      "≤ 0.020",
      "0 / 1,411",
      "3.4 ms / 18 ms",
      "> 30.00 s",
      "≤ 0.00060",
    ]);
    expect(row("**1,000 announces").slice(1, 5)).toEqual([
      "500 announces/s",
      "2.01 s",
      "> 120.00 s (574 missing)",
      "≤ 0.017",
    ]);
  });
});
