/**
 * Bulk `riplet announce --file` (issue 15 item 4): 10,000 prefixes through the CLI (batched, pipelined
 * on one connection) reach the gateway's kernel table (FRR, then BIRD), and `riplet withdraw --file`
 * takes them all out; the wall time of each (CLI spawned → the last route in / out of the gateway's
 * kernel) and the datagrams the gateway's socket dropped are printed.
 * Both must happen within BOUND_MS. That is a behaviour bound, not a speed assertion: unpaced, the
 * updates overflowed FRR ripd's small receive buffer and the lost routes waited for the next periodic
 * update (30 s); paced (transport/pace.ts), they take one to two seconds.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Child,
  createPairLab,
  execRiplet,
  HOST_IF,
  interopDescribe,
  type PairLab,
  startDaemon,
  startGateway,
  udpCounters,
  waitFor,
} from "../lab/index.js";

const COUNT = 10_000;
const BOUND_MS = 10_000;
/** 198.18.0.0/15 (benchmark addresses) cut into /32s. */
const PREFIXES = Array.from({ length: COUNT }, (_, i) => `198.18.${i >> 8}.${i & 255}/32`);

for (const kind of ["frr", "bird"] as const)
  interopDescribe(`riplet announce/withdraw --file with 10,000 prefixes → ${kind} gateway`, () => {
    let pair: PairLab;
    let socket: string;
    let file: string;
    let daemon: Child;

    /** How many of our /32s the gateway's kernel holds (one `ip` call, not one per prefix). */
    async function inKernel(): Promise<number> {
      // `root P`: the routes inside P
      const { stdout } = await pair.lab.exec(pair.gw.ns, [
        "ip",
        "-4",
        "route",
        "show",
        "root",
        "198.18.0.0/15",
      ]);
      return stdout.split("\n").filter((l) => l.startsWith("198.18.")).length;
    }

    beforeAll(async () => {
      pair = await createPairLab(`bulk-cli-${kind}`);
      await startGateway(kind, pair.lab, pair.gw);
      socket = join(pair.lab.dir, "riplet.sock");
      const config = join(pair.lab.dir, "riplet.yaml");
      writeFileSync(
        config,
        [
          `interfaces: [{ name: ${HOST_IF} }]`,
          "allow: [198.18.0.0/15]",
          `control: { socket: ${socket} }`,
          `state: ${join(pair.lab.dir, "state.json")}`,
        ].join("\n"),
      );
      file = join(pair.lab.dir, "prefixes.txt");
      writeFileSync(file, `# ${COUNT} benchmark /32s\n${PREFIXES.join("\n")}\n`);
      daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    }, 60_000);
    afterAll(() => pair?.lab.destroy());

    it(`all reach the gateway's kernel, and all leave it on withdraw, each within ${BOUND_MS / 1000} s`, async () => {
      const before = await udpCounters(pair.lab, pair.gw.ns);
      const t0 = performance.now();
      const announced = await execRiplet(pair.lab, pair.host.ns, [
        "--socket",
        socket,
        "announce",
        "--file",
        file,
        "--json",
      ]);
      const cliMs = Math.round(performance.now() - t0);
      expect(announced.code, announced.stderr).toBe(0);
      const summary = JSON.parse(announced.stdout) as { announced: string[]; batches: number };
      expect(summary.announced).toHaveLength(COUNT);
      await waitFor(async () => (await inKernel()) === COUNT, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: `10,000 routes in ${kind}'s kernel`,
      });
      const inMs = Math.round(performance.now() - t0);

      const middle = await udpCounters(pair.lab, pair.gw.ns);
      const t1 = performance.now();
      const withdrawn = await execRiplet(pair.lab, pair.host.ns, [
        "--socket",
        socket,
        "withdraw",
        "--file",
        file,
      ]);
      expect(withdrawn.code, withdrawn.stderr).toBe(0);
      await waitFor(async () => (await inKernel()) === 0, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: "10,000 routes gone",
      });
      const outMs = Math.round(performance.now() - t1);
      const after = await udpCounters(pair.lab, pair.gw.ns);
      // datagrams the gateway's socket buffer dropped (their routes wait for the next periodic update)
      const announceDrops = middle.ipv4.bufferDrops - before.ipv4.bufferDrops;
      const withdrawDrops = after.ipv4.bufferDrops - middle.ipv4.bufferDrops;
      console.log(
        JSON.stringify({
          test: "bulk-cli",
          gateway: kind,
          prefixes: COUNT,
          batches: summary.batches,
          cliMs,
          announceToKernelMs: inMs,
          withdrawFromKernelMs: outMs,
          announceDrops,
          withdrawDrops,
        }),
      );
      expect(daemon.running).toBe(true);
      expect(inMs).toBeLessThan(BOUND_MS);
      expect(outMs).toBeLessThan(BOUND_MS);
    }, 180_000);
  });
