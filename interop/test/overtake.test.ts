/**
 * A VM's announce does not wait behind a big update (issue 15's follow-up). 20,000 routes leave paced
 * (pace.ts: ~390 full RIPv2 datagrams a second, so about 2 s); a new prefix announced while they leave
 * goes ahead of them (Update.urgent), so FRR has it in its kernel before it has all 20,000. Before,
 * the announce queued behind the whole table: at 100,000 routes it reached the gateway 4.6 s late.
 * Ordering, not speed, is asserted: the new route arrives while the table is still arriving.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import {
  askDaemon,
  type Child,
  createPairLab,
  interopDescribe,
  type Lab,
  type PairLab,
  startDaemon,
  startGateway,
  waitFor,
} from "../lab/index.js";

const TABLE = 20_000;
const NEW_VM = "198.51.100.0/24"; // not 203.0.113.0/24: the lab's FRR has that one itself (FRR_STATICS)

/** 20,000 /30s of 198.18.0.0/15 (benchmarking range). */
const tablePrefixes = (): string[] =>
  Array.from({ length: TABLE }, (_, i) => {
    const offset = i * 4; // 80,000 addresses: 198.18.0.0 to 198.19.56.124
    return `198.${18 + (offset >> 16)}.${(offset >> 8) & 255}.${offset & 255}/30`;
  });

/** How many RIP routes the gateway's kernel holds (a count: a JSON dump of 20,000 is slow to poll). */
async function ripRoutes(lab: Lab, ns: string): Promise<number> {
  const { stdout } = await lab.exec(ns, ["sh", "-c", "ip -4 route show proto rip | wc -l"]);
  return Number(stdout.trim());
}

interopDescribe("a VM's announce overtakes a big update still leaving", () => {
  let pair: PairLab | undefined;
  let daemon: Child | undefined;
  afterEach(async () => {
    await daemon?.stop(5000, "SIGTERM");
    daemon = undefined;
    await pair?.lab.destroy();
    pair = undefined;
  });

  it("FRR learns a new VM's prefix before the 20,000 routes of the update in flight", async () => {
    pair = await createPairLab("overtake");
    const { lab, host, gw } = pair;
    await startGateway("frr", lab, gw, { frr: { ripngd: false } });
    const socket = join(lab.dir, "riplet.sock");
    const config = join(lab.dir, "riplet.yaml");
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${host.ifname}, ipv4: true, ipv6: false }]`,
        `control: { socket: ${socket} }`,
        `state: ${join(lab.dir, "state.json")}`,
        // the greeting (the whole table to a new link) is the big update the announce overtakes; a
        // periodic one 10 s later (± jitter) fills in what a gateway short of CPU may have dropped
        "timers: { update: 10 }",
        "routes:",
        ...tablePrefixes().map((p) => `  - { prefix: ${p} }`),
        "",
      ].join("\n"),
    );
    daemon = await startDaemon(lab, host.ns, socket, config);
    await waitFor(async () => (await ripRoutes(lab, gw.ns)) > 0, {
      timeoutMs: 20_000,
      intervalMs: 20,
      what: "the first routes of the table on FRR",
    });
    await askDaemon(socket, { id: 1, op: "announce", routes: [{ prefix: NEW_VM, metric: 1 }] });
    let tableWhenNew = -1;
    await waitFor(
      async () => {
        const { stdout } = await lab.exec(gw.ns, ["ip", "-4", "route", "show", NEW_VM, "proto", "rip"]);
        if (!stdout.includes(NEW_VM.split("/")[0]!)) return false;
        tableWhenNew = (await ripRoutes(lab, gw.ns)) - 1;
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 20, what: `${NEW_VM} on FRR` },
    );
    console.log(JSON.stringify({ test: "overtake", table: TABLE, tableRoutesWhenNewArrived: tableWhenNew }));
    expect(tableWhenNew).toBeLessThan(TABLE);
    // and nothing was lost by going ahead: the whole table arrives too
    let held = 0;
    await waitFor(
      async () => {
        held = await ripRoutes(lab, gw.ns);
        return held === TABLE + 1;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `the whole table and the new prefix on FRR (${held} so far)`,
      },
    ).catch(async (error: Error) => {
      const { stdout } = await lab.exec(gw.ns, ["ip", "-4", "route", "show", "proto", "rip"]);
      const have = new Set(stdout.split("\n").map((l) => l.split(" ")[0]));
      const missing = [...tablePrefixes(), NEW_VM].filter((p) => !have.has(p));
      throw new Error(
        `${error.message}; the kernel holds ${held} RIP routes; missing ${missing.slice(0, 5).join(" ")}`,
      );
    });
  });
});
