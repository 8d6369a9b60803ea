/**
 * The attacker: a Node.js child in its own namespace that sends what a plan says (a timed flood or a
 * counted burst of hex payloads from chosen addresses and ports) and counts what it sent and what failed.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.js";

/** One stream of datagrams: from one address and port, to each of `to`, the payloads in turn. */
export interface SendItem {
  kind: string;
  family: "ipv4" | "ipv6";
  from: string;
  fromPort: number;
  to: string[];
  toPort: number;
  payloads: string[];
  /** Sent 3 times before the flood starts (not part of it). */
  prime?: boolean;
}

/** flood: `seconds` of round-robin at full speed; burst: `count` of each stream, 20 ms apart. */
export interface SendPlan {
  mode: "flood" | "burst";
  ifname: string;
  seconds?: number;
  count?: number;
  items: SendItem[];
}

/** Datagrams sent and send failures by item kind, the distinct send errors, and how long it took. */
export interface SendResult {
  sent: Record<string, number>;
  failed: Record<string, number>;
  errors: string[];
  ms: number;
}

/** flood: round-robin over every (item, destination) at full speed, 64 sends in flight at a time. */
const SENDER = `
import dgram from "node:dgram";
import { readFileSync } from "node:fs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const sockets = new Map();
async function socketFor(family, address, port) {
  const key = family + " " + address + " " + port;
  if (sockets.has(key)) return sockets.get(key);
  const socket = dgram.createSocket(family === "ipv4" ? "udp4" : { type: "udp6", ipv6Only: true });
  await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", () => {});
  if (family === "ipv4") {
    socket.setMulticastInterface(address);
    socket.setMulticastTTL(1);
  } else {
    socket.setMulticastInterface("::%" + plan.ifname);
    socket.setMulticastTTL(255);
    socket.setTTL(255);
  }
  sockets.set(key, socket);
  return socket;
}
const slots = [];
for (const item of plan.items) {
  const socket = await socketFor(item.family, item.from, item.fromPort);
  const payloads = item.payloads.map((h) => Buffer.from(h, "hex"));
  for (const to of item.to) slots.push({ ...item, socket, to, payloads, next: 0 });
}
const sent = {};
const failed = {};
const errors = new Set();
function sendOne(slot) {
  const payload = slot.payloads[slot.next++ % slot.payloads.length];
  return new Promise((resolve) =>
    slot.socket.send(payload, slot.toPort, slot.to, (error) => {
      if (error) {
        failed[slot.kind] = (failed[slot.kind] ?? 0) + 1;
        errors.add(error.code ?? error.message);
      } else sent[slot.kind] = (sent[slot.kind] ?? 0) + 1;
      resolve();
    }),
  );
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
if (plan.mode === "burst") {
  for (const slot of slots) {
    for (let i = 0; i < plan.count; i++) {
      await sendOne(slot);
      await sleep(20);
    }
  }
} else {
  for (const slot of slots.filter((s) => s.prime)) for (let i = 0; i < 3; i++) await sendOne(slot);
  await sleep(300);
  const flood = slots.filter((s) => !s.prime);
  const deadline = performance.now() + plan.seconds * 1000;
  let n = 0;
  while (performance.now() < deadline) {
    const batch = [];
    for (let j = 0; j < 64; j++) batch.push(sendOne(flood[n++ % flood.length]));
    await Promise.all(batch);
  }
}
for (const socket of sockets.values()) socket.close();
console.log(JSON.stringify({ sent, failed, errors: [...errors], ms: Math.round(performance.now() - t0) }));
`;

/** Runs `plan` from `ns` as a child of the lab; throws with the child's output if it fails. */
export async function runSender(lab: Lab, ns: string, plan: SendPlan): Promise<SendResult> {
  const script = join(lab.dir, "sender.mjs");
  writeFileSync(script, SENDER);
  const file = join(lab.dir, `plan-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(plan));
  const child = lab.spawn(ns, [process.execPath, script, file], `sender ${plan.mode}`);
  const code = await child.exited;
  const line = child.stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`the sender failed:\n${child.describe()}`);
  return JSON.parse(line) as SendResult;
}
