/**
 * `npm run bench [-- --json] [-- --quick]`: codec and authentication throughput (SPEC §9).
 * RTE rates use full packets (25 RIPv2 RTEs, 72 RIPng RTEs = a 1500-byte MTU); sign/verify use the
 * largest packet each algorithm allows. Encode writes into a reused buffer, as the speaker does.
 * Then CLI start-up beside `node -e 0` (bench/startup.ts).
 */

import { availableParallelism, loadavg } from "node:os";
import { ripv2Capacity } from "../src/speaker/packetize.js";
import type { Ipv6Words } from "../src/wire/address.js";
import { type AuthMode, cryptoAuthFor, DIGEST_BYTES, sign, verify } from "../src/wire/auth.js";
import * as ripng from "../src/wire/ripng.js";
import * as ripv2 from "../src/wire/ripv2.js";
import { type BenchCase, type BenchResult, keepAlive, run } from "./harness.js";
import { type StartupResult, startupBench } from "./startup.js";

const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");

function ripv2Entries(n: number): ripv2.Ripv2Entry[] {
  return Array.from({ length: n }, (_, i) => ({
    afi: 2,
    tag: 0,
    address: (0xc6120000 | (i << 8)) >>> 0,
    mask: 0xffffff00,
    nextHop: 0,
    metric: 1,
  }));
}

const v2Packet: ripv2.Ripv2Packet = { command: "response", version: 2, entries: ripv2Entries(25) };
const v2Bytes = ripv2.encode(v2Packet);
const v2Buffer = new Uint8Array(512);

const ngPacket: ripng.RipngPacket = {
  command: "response",
  version: 1,
  entries: Array.from({ length: 72 }, (_, i) => ({
    prefix: [0x20010db8, i << 16, 0, 0] as Ipv6Words,
    tag: 0,
    prefixLength: 48,
    metric: 1,
  })),
};
const ngBytes = ripng.encode(ngPacket);
const ngBuffer = new Uint8Array(1500);

function signedPacket(algorithm: Exclude<AuthMode, "none" | "simple">) {
  const key = { id: 1, secret: Buffer.from("bench-secret"), algorithm };
  const entries = ripv2Entries(ripv2Capacity(algorithm));
  const packet = ripv2.encode({ command: "response", version: 2, auth: cryptoAuthFor(key, 1), entries });
  sign(packet, key);
  return { key, packet };
}

const md5 = signedPacket("md5");
const sha256 = signedPacket("hmac-sha256");

const cases: BenchCase[] = [
  { name: "decode.ripv2", unit: "rte/s", unitsPerCall: 25, fn: () => ripv2.decode(v2Bytes) },
  { name: "encode.ripv2", unit: "rte/s", unitsPerCall: 25, fn: () => ripv2.encode(v2Packet, v2Buffer) },
  { name: "decode.ripng", unit: "rte/s", unitsPerCall: 72, fn: () => ripng.decode(ngBytes) },
  { name: "encode.ripng", unit: "rte/s", unitsPerCall: 72, fn: () => ripng.encode(ngPacket, ngBuffer) },
  { name: "sign.md5", unit: "packets/s", unitsPerCall: 1, fn: () => sign(md5.packet, md5.key) },
  { name: "verify.md5", unit: "packets/s", unitsPerCall: 1, fn: () => verify(md5.packet, [md5.key]) },
  { name: "sign.hmac-sha256", unit: "packets/s", unitsPerCall: 1, fn: () => sign(sha256.packet, sha256.key) },
  {
    name: "verify.hmac-sha256",
    unit: "packets/s",
    unitsPerCall: 1,
    fn: () => verify(sha256.packet, [sha256.key]),
  },
];

if (!verify(md5.packet, [md5.key]).verified || !verify(sha256.packet, [sha256.key]).verified) {
  throw new Error("benchmark packets do not verify: the numbers would be meaningless");
}
if (DIGEST_BYTES["hmac-sha256"] !== 32) throw new Error("unexpected digest table");

const results: BenchResult[] = [];
for (const c of cases) {
  const result = run(c, quick ? 3 : 9, quick ? 50 : 300);
  results.push(result);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const value = result.value.toLocaleString("en-US").padStart(14);
    process.stdout.write(
      `${c.name.padEnd(20)} ${value} ${c.unit.padEnd(10)} (median of ${result.rounds}, min ${result.min.toLocaleString("en-US")}, max ${result.max.toLocaleString("en-US")})\n`,
    );
  }
}
keepAlive();

function printStartup(r: StartupResult): void {
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (r.unit === "x")
    process.stdout.write(`${r.name.padEnd(24)} ${r.value.toFixed(2).padStart(10)} × node -e 0\n`);
  else {
    const against = r.against ? `, against a ${r.against}` : "";
    process.stdout.write(
      `${r.name.padEnd(24)} ${r.value.toFixed(1).padStart(10)} ms (median of ${r.rounds} interleaved, min ${r.min}, max ${r.max}${against})\n`,
    );
  }
}

// The machine's load beside the start-up figures: a busy machine stretches every command, node's too.
const load = () => loadavg()[0]!.toFixed(1);
if (!json)
  process.stdout.write(`\nCLI start-up (load average ${load()} on ${availableParallelism()} CPUs)\n`);
for (const r of await startupBench({ quick })) printStartup(r);
if (!json) process.stdout.write(`(load average ${load()} at the end)\n`);
