import { describe, expect, it } from "vitest";
import { decadeDomain, type LatencySeries, latencySvg, logScale } from "../../bench/plot.js";
import { scaleSvg } from "../../bench/plot-scale.js";
import {
  type BenchLine,
  END_MARKER,
  formatMs,
  formatRatio,
  formatVersus,
  latencySeries,
  parseJsonl,
  renderResults,
  START_MARKER,
  updateBenchmarksMd,
} from "../../bench/report.js";
import { valueCell } from "../../bench/report-format.js";
import { scalePanels } from "../../bench/report-scale.js";

const latency = (name: string, value: number, samples: number[]): BenchLine => ({
  name,
  unit: "ms",
  value,
  p90: samples.at(-2) ?? value,
  max: samples.at(-1) ?? value,
  trials: samples.length,
  samples,
});

const run: BenchLine[] = [
  { name: "machine", unit: "cores", value: 2, cpu: "Test CPU", node: "v20.0.0", trials: 4 },
  latency("announce.riplet.frr", 22, [15, 20, 24, 40]),
  latency("announce.frr-connected.frr", 3100, [900, 3000, 3200, 15600]),
  latency("withdraw.riplet.bird", 12, [8, 11, 13, 25]),
  latency("withdraw.bird-direct.bird", 1500, [300, 1400, 1600, 3000]),
  latency("kill.riplet.bird", 20, [18, 19, 21, 22]),
  latency("kill.bird-direct.bird", 22, [17, 20, 24, 30]),
  { name: "ratio.announce.frr-connected/riplet.frr", unit: "x", value: 140.91 },
  { name: "stop.riplet.frr", unit: "ms", value: 30, remaining: 0, capMs: 200_000 },
  { name: "stop.frr-connected.frr", unit: "ms", value: 200_000, remaining: 2, capMs: 200_000 },
  { name: "scale.converge.riplet.ipv4", unit: "ms", value: 1170, routes: 10000, missing: 0 },
  { name: "scale.mystery.riplet", unit: "widgets", value: 7, colour: 3 },
  { name: "fanin.announce", unit: "ms", value: 80, hosts: 20, prefixes: 200 },
  { name: "decode.ripv2", unit: "rte/s", value: 64_000_000, rounds: 9 },
  { name: "verify.hmac-sha256", unit: "packets/s", value: 412_300 },
];

/** The table row whose first three cells are gateway, phase and speaker. */
function row(md: string, gateway: string, phase: string, speaker: string): string[] {
  const line = md.split("\n").find((l) => l.startsWith(`| ${gateway} | ${phase} | ${speaker} |`));
  if (!line) throw new Error(`no row for ${gateway} ${phase} ${speaker}`);
  return line.split(" | ").map((c) => c.replace(/^\| | \|$/g, ""));
}

describe("renderResults", () => {
  const md = renderResults(run);

  it("puts each series' median, p90, max and trials in its row", () => {
    expect(row(md, "frr", "announce", "riplet").slice(3, 7)).toEqual(["22 ms", "24 ms", "40 ms", "4"]);
    expect(row(md, "frr", "announce", "frr-connected").slice(3, 7)).toEqual([
      "3.10 s",
      "3.20 s",
      "15.60 s",
      "4",
    ]);
    expect(row(md, "bird", "withdraw", "bird-direct")[3]).toBe("1.50 s");
  });

  it("quotes the run's ratio line (alternative ÷ riplet) rather than recomputing it", () => {
    // 3100 / 22 would be 141 too, so make the quoted figure distinguishable.
    const quoted = renderResults(run.map((l) => (l.name.startsWith("ratio.") ? { ...l, value: 0.5 } : l)));
    expect(row(quoted, "frr", "announce", "frr-connected")[7]).toBe("0.50 (riplet slower)");
    expect(row(md, "frr", "announce", "frr-connected")[7]).toBe("141 (riplet faster)");
    expect(md).not.toContain("ratio.announce");
  });

  it("divides the medians when the run has no ratio line, and leaves riplet's own cell empty", () => {
    expect(row(md, "bird", "withdraw", "bird-direct")[7]).toBe("125 (riplet faster)");
    expect(row(md, "bird", "withdraw", "riplet")[7]).toBe("—");
  });

  it("calls a ratio between 0.8 and 1.25 a tie, in the detail and in the summary", () => {
    expect(row(md, "bird", "kill", "bird-direct")[7]).toBe("1.10 (tie)");
    expect(md).toContain("| kill (QEMU SIGKILL) | 20 ms | 22 ms (≈ 1.10×) |");
    expect([0.79, 0.81, 1.24, 1.25].map((r) => formatVersus(r))).toEqual([
      "0.79 (riplet slower)",
      "0.81 (tie)",
      "1.24 (tie)",
      "1.25 (riplet faster)",
    ]);
  });

  it("shows a speaker still routed at the cap as a lower bound, and its ratio as one", () => {
    expect(row(md, "frr", "stop", "frr-connected")[3]).toBe("> 200.00 s (still routed)");
    expect(row(md, "frr", "stop", "frr-connected")[7]).toBe("≥ 6,667 (riplet faster)");
    expect(md).toContain("| speaker stopped, VM up | 30 ms | > 200.00 s (≥ 6,667×) |");
  });

  it("shows scale, unknown scale, fan-in and codec lines with their units", () => {
    // lines of a run before the curve (no size in the name) land in the detail table
    expect(md).toContain("| converge.riplet.ipv4 | 1.17 s | routes 10,000, missing 0 |");
    expect(md).toContain("| mystery.riplet | 7 widgets | colour 3 |");
    expect(md).toContain("| fanin.announce | 80 ms | hosts 20, prefixes 200 |");
    expect(md).toContain("64.0 M rte/s");
    expect(md).toContain("412.3 k packets/s");
    expect(md).toContain("Machine: 2 cores Test CPU, Node v20.0.0; 4 trials per series.");
    expect(md).toContain("![Latency per trial, log scale](bench/latency.svg)");
  });

  it("does not drop lines it has no table for", () => {
    expect(renderResults([{ name: "odd.thing", unit: "x", value: 2 }])).toContain(
      "| odd.thing | 2.00 (2.0× slower) |",
    );
  });
});

describe("formatting", () => {
  it.each([
    [23, "23 ms"],
    [999, "999 ms"],
    [3100, "3.10 s"],
    [2.5, "2.5 ms"],
  ])("formatMs(%d) = %s", (ms, text) => expect(formatMs(ms)).toBe(text));

  it("keeps one significant digit for tiny ratios", () => {
    expect(formatRatio(0.0004)).toBe("0.0004 (2,500× faster)");
  });
});

describe("updateBenchmarksMd", () => {
  const doc = `# Benchmarks\n\nProse before.\n\n${START_MARKER}\nold table\n${END_MARKER}\n\nProse after.\n`;

  it("replaces only the text between the markers", () => {
    const updated = updateBenchmarksMd(doc, "NEW BLOCK\n");
    expect(updated).toBe(
      `# Benchmarks\n\nProse before.\n\n${START_MARKER}\n\nNEW BLOCK\n\n${END_MARKER}\n\nProse after.\n`,
    );
    expect(updateBenchmarksMd(updated, "NEW BLOCK\n")).toBe(updated);
  });

  it("keeps $ patterns in the block literally", () => {
    expect(updateBenchmarksMd(doc, "cost $& and $1")).toContain("cost $& and $1");
  });

  it("fails clearly when a marker is missing", () => {
    expect(() => updateBenchmarksMd("# Benchmarks\n", "x")).toThrow(/results markers not found/);
    expect(() => updateBenchmarksMd(`${END_MARKER}\n${START_MARKER}\n`, "x")).toThrow(/results:start/);
  });
});

describe("parseJsonl", () => {
  it("skips blank lines and names the line that is not JSON", () => {
    expect(parseJsonl('\n{"name":"a","unit":"ms","value":1}\n\n')).toHaveLength(1);
    expect(() => parseJsonl('{"name":"a","unit":"ms","value":1}\n\n{oops\n')).toThrow(/^line 3: not JSON/);
    expect(() => parseJsonl('{"name":"a"}')).toThrow(/^line 1: expected/);
  });
});

describe("latencySvg", () => {
  const series = latencySeries(run);
  const svg = latencySvg(series);

  it("draws one dot per sample", () => {
    const samples = series.reduce((n, s) => n + s.samples.length, 0);
    expect(samples).toBe(26); // 6 series of 4 trials, 2 speaker-stopped figures of one each
    expect(svg.match(/<circle class="dot"/g)).toHaveLength(samples);
  });

  it("is a standalone SVG labelled with every series", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    for (const s of series) expect(svg).toContain(`>${s.label}</text>`);
    for (const speaker of ["riplet", "frr-connected", "bird-direct"])
      expect(svg).toContain(`>${speaker}</text>`);
  });

  it("labels a figure cut at its cap as a lower bound", () => {
    expect(svg).toContain(">> 200.00 s</text>".replace(">>", ">&gt;"));
  });

  it("places decades left to right on a log axis", () => {
    const tickX = (label: string) =>
      Number(new RegExp(`<text x="([\\d.]+)"[^>]*>${label}</text>`).exec(svg)?.[1]);
    const [x10, x100, x1s, x10s] = ["10 ms", "100 ms", "1 s", "10 s"].map(tickX) as number[];
    expect(x100).toBeLessThan(x1s!);
    // Equal spacing per decade is what makes the axis logarithmic rather than linear.
    expect(x100! - x10!).toBeCloseTo(x1s! - x100!, 0);
    expect(x10s! - x1s!).toBeCloseTo(x1s! - x100!, 0);
    const x = logScale(decadeDomain([5, 20_000]), 0, 100);
    expect(x(0)).toBe(x(1)); // clamped, not -Infinity
  });

  it("orders rows by gateway then speaker, not by the order of the run", () => {
    const labels = latencySeries([...run].reverse()).map((s) => s.label);
    expect(labels).toEqual([
      ...["riplet → frr", "riplet → frr", "frr-connected → frr", "frr-connected → frr"],
      ...["riplet → bird", "riplet → bird", "bird-direct → bird", "bird-direct → bird"],
    ]);
  });

  it("is identical across calls", () => {
    expect(latencySvg(series)).toBe(svg);
    expect(latencySvg(latencySeries(run))).toBe(svg);
  });

  it("escapes text", () => {
    const odd: LatencySeries[] = [{ label: `a<b & "c"`, phase: "announce", samples: [10] }];
    const out = latencySvg(odd, { title: "x < y" });
    expect(out).toContain("a&lt;b &amp; &quot;c&quot;");
    expect(out).toContain("x &lt; y");
    expect(out).not.toMatch(/<b|& /);
  });
});

describe("valueCell", () => {
  it("shows an unfinished convergence as a lower bound with what was missing", () => {
    const line = {
      name: "scale.converge.frr-ripd.ipv4",
      unit: "ms",
      value: 90_000,
      converged: false,
      missing: 300,
    };
    expect(valueCell(line)).toBe("> 90.00 s (300 missing)");
  });

  it("marks a ratio built on such a bound as an upper bound", () => {
    expect(
      valueCell({
        name: "ratio.scale.converge.riplet/frr-ripd.ipv4",
        unit: "x",
        value: 0.0185,
        bound: "at most",
      }),
    ).toBe("≤ 0.02 (54× faster)");
  });
});

/** One sender's lines at one size, as bench/interop/scale.ts writes them. */
function sender(
  speaker: string,
  n: number,
  f: { converge: [number, number]; missing?: number; rss: number },
) {
  const deadlineMs = 120_000;
  const converge = (family: string, value: number, missing: number): BenchLine => ({
    name: `scale.converge.${speaker}.${family}.n${n}`,
    unit: "ms",
    value,
    converged: missing === 0,
    routes: n / 2,
    missing,
    deadlineMs,
  });
  return [
    converge("ipv4", f.converge[0], 0),
    converge("ipv6", f.converge[1], f.missing ?? 0),
    { name: `scale.rss.${speaker}.n${n}`, unit: "MiB", value: f.rss, routes: n },
    { name: `scale.cpu-per-update.${speaker}.n${n}`, unit: "ms", value: n / 100, updateS: 10 },
    { name: `scale.announce-ack.${speaker}.n${n}`, unit: "ms", value: 3.4, trials: 5 },
    { name: `scale.announce.${speaker}.n${n}`, unit: "ms", value: 18, trials: 5, timedOut: 0 },
    { name: `scale.one-by-one-rate.${speaker}.n${n}`, unit: "announces/s", value: 520.8 },
    { name: `scale.one-by-one.${speaker}.n${n}`, unit: "ms", value: 1924, converged: true, missing: 0 },
  ];
}

const curve: BenchLine[] = [
  { name: "machine", unit: "cores", value: 2 },
  { name: "scale.rss.riplet-idle", unit: "MiB", value: 55, routes: 0 },
  ...sender("riplet", 1000, { converge: [401, 410], rss: 64.3 }),
  ...sender("frr-ripd", 1000, { converge: [1081, 11_097], rss: 17 }),
  { name: "scale.rss.frr-stack.n1000", unit: "MiB", value: 40.8, daemons: "zebra+staticd+ripd+ripngd" },
  { name: "ratio.scale.rss.riplet/frr-ripd.n1000", unit: "x", value: 3.782 },
  { name: "ratio.scale.rss.riplet/frr-stack.n1000", unit: "x", value: 1.576 },
  ...sender("riplet", 10_000, { converge: [2050, 2406], rss: 80 }),
  ...sender("frr-ripd", 10_000, { converge: [89_322, 120_000], missing: 1649, rss: 27.7 }),
  ...sender("riplet", 100_000, { converge: [20_000, 21_000], rss: 150 }),
  {
    name: "scale.skipped.frr-ripd.n100000",
    unit: "routes",
    value: 100_000,
    missedAt: 10_000,
    reason: "FRR ripd/ripngd missed its convergence deadline at 10000 routes",
  },
];

/** The cells of the markdown row that starts with `first`, in the table after `heading`. */
function curveRow(md: string, heading: string, first: string): string[] {
  const after = md.slice(md.indexOf(heading));
  const line = after.split("\n").find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no row ${first} after ${heading}`);
  return line.split(" | ").map((c) => c.replace(/^\| | \|$/g, ""));
}

describe("the scale curve in the report", () => {
  const md = renderResults(curve, { scaleSvgHref: "bench/scale.svg" });

  it("has a row per size with riplet's and FRR's memory, the run's ratios, and the idle figure", () => {
    expect(curveRow(md, "**Memory", "1,000").slice(1, 6)).toEqual([
      "64.3 MiB",
      "17 MiB",
      "3.78",
      "40.8 MiB",
      "1.58",
    ]);
    expect(curveRow(md, "**Memory", "0 (idle)")[1]).toBe("55 MiB");
    // no ratio line in the run: the figures divided
    expect(curveRow(md, "**Memory", "10,000")[3]).toBe("2.89");
  });

  it("takes the later family as convergence and shows a missed deadline as a bound with what was missing", () => {
    const row = curveRow(md, "**Convergence", "10,000");
    expect(row.slice(1, 4)).toEqual(["2.41 s", "> 120.00 s (1,649 missing)", "≤ 0.020"]);
    // a run without gateway drop counts shows a dash, not 0
    expect(curveRow(md, "**Convergence", "1,000").slice(1, 6)).toEqual([
      "410 ms",
      "11.10 s",
      "0.037",
      "— / —",
      "3.4 ms / 18 ms",
    ]);
  });

  it("says where FRR was skipped and why", () => {
    expect(curveRow(md, "**Convergence", "100,000").slice(1, 3)).toEqual(["21.00 s", "skipped"]);
    expect(md).toContain(
      "FRR skipped at 100,000 routes: FRR ripd/ripngd missed its convergence deadline at 10000 routes.",
    );
    expect(curveRow(md, "**1,000 announces", "1,000").slice(1, 5)).toEqual([
      "520.8 announces/s",
      "1.92 s",
      "1.92 s",
      "1.00",
    ]);
  });

  it("keeps every scale line in the detail table and links the plot", () => {
    const scaleLines = curve.filter((l) => l.name.includes("scale."));
    const details = md.slice(md.indexOf("<details>"), md.indexOf("</details>"));
    for (const l of scaleLines) expect(details).toContain(`| ${l.name.replace(/^scale\./, "")} |`);
    expect(md).toContain("![Scale curve, log-log](bench/scale.svg)");
    expect(md).not.toContain("![Latency"); // no latency lines, no latency plot
  });
});

describe("scaleSvg", () => {
  const panels = scalePanels(curve);
  const svg = scaleSvg(panels);

  it("draws a panel per figure and a point per sender and size, hollow where a deadline was missed", () => {
    expect(panels.map((p) => p.title)).toEqual([
      "Resident memory",
      "CPU per periodic update",
      "All routes in the gateway's kernel",
      "One announce → gateway's kernel (median)",
      "1,000 one by one → all in gateway's kernel",
      "1,000 one by one: announces acknowledged",
    ]);
    const converge = panels[2]!.series;
    expect(converge.map((s) => s.points.map((p) => [p.x, p.y, p.atLeast]))).toEqual([
      [
        [1000, 410, false],
        [10_000, 2406, false],
        [100_000, 21_000, false],
      ],
      [
        [1000, 11_097, false],
        [10_000, 120_000, true],
      ],
    ]);
    const points = panels.flatMap((p) => p.series).reduce((n, s) => n + s.points.length, 0);
    expect(svg.match(/<circle class="point"/g)).toHaveLength(points);
    expect(svg.match(/<circle class="point"[^>]*fill="#ffffff"/g)).toHaveLength(1);
  });

  it("leaves a 0 (CPU below the clock tick) off the log axis", () => {
    const zero = curve.map((l) =>
      l.name === "scale.cpu-per-update.frr-ripd.n1000" ? { ...l, value: 0 } : l,
    );
    const cpu = scalePanels(zero)[1]!.series;
    expect(cpu.map((s) => s.points.map((p) => p.x))).toEqual([[1000, 10_000, 100_000], [10_000]]);
  });

  it("spaces sizes by decades on x and is the same for the same run", () => {
    const tickX = (label: string) =>
      Number(new RegExp(`<text x="([\\d.]+)"[^>]*>${label}</text>`).exec(svg)?.[1]);
    const [x1k, x10k, x100k] = ["1k", "10k", "100k"].map(tickX) as number[];
    expect(x10k - x1k).toBeCloseTo(x100k - x10k, 0);
    expect(x1k).toBeLessThan(x10k);
    expect(scaleSvg(scalePanels([...curve].reverse()))).toBe(svg);
  });
});
