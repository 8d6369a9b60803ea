/**
 * Two more attackers for the hostile labs, Node.js children in a namespace like attacker.ts's sender:
 * - the requester sends Requests at a set rate, each from a random one of many source addresses (so
 *   spoofed on-link sources too, once the addresses are on its interface), and counts every datagram
 *   that comes back to those sources: an amplifier's output, measured where the victim stands;
 * - the route flood sends Responses at full speed, each carrying 25 /32s never sent before.
 * Both stop early when `stopFile` appears (the test writes it when riplet's memory passes a cap).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.js";

/** `count` datagrams of `payload`, spread evenly over the plan's seconds, from random `sources`. */
export interface RequestItem {
  kind: string;
  sources: string[];
  fromPort: number;
  to: string[];
  toPort: number;
  payload: string;
  count: number;
}

export interface RequestPlan {
  ifname: string;
  seconds: number;
  /** How long to keep counting replies after the last send. */
  listenMs: number;
  stopFile: string;
  items: RequestItem[];
}

/** Sent and failed by kind; what came back to the sources (datagrams, bytes, how many sources got any). */
export interface RequestResult {
  sent: Record<string, number>;
  failed: Record<string, number>;
  received: { datagrams: number; bytes: number; sources: number };
  ms: number;
  stopped: boolean;
}

const REQUESTER = `
import dgram from "node:dgram";
import { existsSync, readFileSync } from "node:fs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const sockets = new Map();
const got = new Map();
async function socketFor(address, port) {
  const key = address + ":" + port;
  if (sockets.has(key)) return sockets.get(key);
  const socket = dgram.createSocket("udp4");
  await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address, port, exclusive: true }, () => { socket.off("error", reject); resolve(); });
  });
  socket.on("error", () => {});
  socket.on("message", (m) => {
    const g = got.get(key) ?? { datagrams: 0, bytes: 0 };
    g.datagrams++; g.bytes += m.length; got.set(key, g);
  });
  socket.setMulticastInterface(address);
  socket.setMulticastTTL(1);
  sockets.set(key, socket);
  return socket;
}
const items = [];
for (const item of plan.items) {
  const socks = [];
  for (const s of item.sources) socks.push(await socketFor(s, item.fromPort));
  items.push({ ...item, socks, payload: Buffer.from(item.payload, "hex"), done: 0 });
}
const sent = {}, failed = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
let stopped = false;
for (;;) {
  const elapsed = (performance.now() - t0) / 1000;
  if (existsSync(plan.stopFile)) { stopped = true; break; }
  const batch = [];
  for (const it of items) {
    const due = Math.min(it.count, Math.ceil((it.count * elapsed) / plan.seconds));
    for (; it.done < due && batch.length < 512; it.done++) {
      const socket = it.socks[Math.floor(Math.random() * it.socks.length)];
      const to = it.to[it.done % it.to.length];
      batch.push(new Promise((resolve) => socket.send(it.payload, it.toPort, to, (e) => {
        if (e) failed[it.kind] = (failed[it.kind] ?? 0) + 1; else sent[it.kind] = (sent[it.kind] ?? 0) + 1;
        resolve();
      })));
    }
  }
  await Promise.all(batch);
  if (items.every((it) => it.done >= it.count)) break;
  if (batch.length < 512) await sleep(2);
}
const ms = Math.round(performance.now() - t0);
await sleep(plan.listenMs);
for (const s of sockets.values()) s.close();
const received = { datagrams: 0, bytes: 0, sources: got.size };
for (const g of got.values()) { received.datagrams += g.datagrams; received.bytes += g.bytes; }
console.log(JSON.stringify({ sent, failed, received, ms, stopped }));
`;

/** Responses of 25 fresh /32s each (10.0.0.0/8 counted up), at full speed, 64 in flight. */
const ROUTE_FLOOD = `
import dgram from "node:dgram";
import { existsSync, readFileSync } from "node:fs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const socket = dgram.createSocket("udp4");
await new Promise((r) => socket.bind({ address: plan.from, port: 520, exclusive: true }, r));
socket.on("error", () => {});
let next = 0, sent = 0, failed = 0, stopped = false;
function packet() {
  const b = Buffer.alloc(4 + 25 * 20);
  b.writeUInt8(2, 0); b.writeUInt8(2, 1); // RFC 2453 §4: command 2 (response), version 2
  for (let i = 0; i < 25; i++) {
    const o = 4 + i * 20, n = next++ % 0xffffff;
    b.writeUInt16BE(2, o); // AFI_INET
    b.writeUInt32BE((10 << 24) | n, o + 4);
    b.writeUInt32BE(0xffffffff, o + 8); // a /32
    b.writeUInt32BE(1, o + 16); // metric 1
  }
  return b;
}
const t0 = performance.now();
const deadline = t0 + plan.seconds * 1000;
let checked = t0;
while (performance.now() < deadline) {
  if (performance.now() - checked > 100) {
    checked = performance.now();
    if (existsSync(plan.stopFile)) { stopped = true; break; }
  }
  const batch = [];
  for (let j = 0; j < 64; j++) {
    batch.push(new Promise((resolve) => socket.send(packet(), 520, plan.to, (e) => { e ? failed++ : sent++; resolve(); })));
  }
  await Promise.all(batch);
}
socket.close();
console.log(JSON.stringify({ sent, failed, routes: sent * 25, ms: Math.round(performance.now() - t0), stopped }));
`;

export interface RouteFloodResult {
  sent: number;
  failed: number;
  routes: number;
  ms: number;
  stopped: boolean;
}

async function runScript<T>(lab: Lab, ns: string, name: string, script: string, plan: object): Promise<T> {
  const file = join(lab.dir, `${name}.mjs`);
  writeFileSync(file, script);
  const planFile = join(lab.dir, `${name}-plan-${Date.now()}.json`);
  writeFileSync(planFile, JSON.stringify(plan));
  const child = lab.spawn(ns, [process.execPath, file, planFile], name);
  const code = await child.exited;
  const line = child.stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`the ${name} failed:\n${child.describe()}`);
  return JSON.parse(line) as T;
}

/** Runs the requester in `ns`; resolves once it has sent everything and listened `listenMs` more. */
export function runRequester(lab: Lab, ns: string, plan: RequestPlan): Promise<RequestResult> {
  return runScript(lab, ns, "requester", REQUESTER, plan);
}

/** Floods `to` (UDP 520) from `from` with fresh /32s for `seconds`. */
export function runRouteFlood(
  lab: Lab,
  ns: string,
  plan: { from: string; to: string; seconds: number; stopFile: string },
): Promise<RouteFloodResult> {
  return runScript(lab, ns, "route-flood", ROUTE_FLOOD, plan);
}
