/**
 * The demo's steps with a real guest: it boots, takes its address from riplet's DHCP (and SLAAC from
 * its RAs), the gateway reaches it over riplet's routes (HTTP to the guest's web server, IPv4 and
 * IPv6), and it reaches the gateway's far side (ping from inside the guest).
 */
import type { NetnsLab } from "../host/netns.js";
import type { Guest } from "../vm/guest.js";
import type { DemoEvents } from "./demo.js";

/** TCG on a busy machine: a guest boots in ~4 s alone; give it room before calling it failed. */
const BOOT_MS = 90_000;
/** The gateway's far side, on its loopback: what a guest reaches through it (the seed's topology). */
export const FAR_SIDE = { ipv4: "203.0.113.1", ipv6: "2001:db8:ff::1" };

export interface GuestSteps {
  guest: Guest;
  lab: NetnsLab;
  gw: string;
  /** When the gateway had both routes, in ms since the VM was started. */
  routeMs: number;
  /** Addressed by riplet's DHCP/RA, or statically. */
  dhcp: boolean;
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new Error("interrupted"));
      signal.addEventListener("abort", () => reject(new Error("interrupted")), { once: true });
    }),
  ]);
}

const GET = `
const [host] = process.argv.slice(1), t0 = performance.now();
require("node:http").get({ host, port: 80, path: "/", timeout: 5000 }, (r) => {
  let body = ""; r.on("data", (d) => (body += d));
  r.on("end", () => { console.log(JSON.stringify({ body: body.trim(), ms: Math.round((performance.now() - t0) * 10) / 10 })); });
}).on("error", (e) => { console.log(JSON.stringify({ error: e.message })); });`;

async function httpFromGateway(
  lab: NetnsLab,
  gw: string,
  host: string,
): Promise<{ body?: string; ms?: number; error?: string }> {
  const out = await lab
    .exec(gw, process.execPath, ["-e", GET, host], 10_000)
    .catch((e: Error) => JSON.stringify({ error: e.message }));
  return JSON.parse(out.trim() || "{}");
}

export async function narrateGuest(
  steps: GuestSteps,
  events: DemoEvents,
  signal?: AbortSignal,
): Promise<void> {
  const { guest, lab, gw } = steps;
  const booted = await abortable(guest.waitFor("booted", BOOT_MS), signal);
  events.say("booted", `Guest booted (Linux up, its NIC too) after ${booted.booted} ms`, {
    bootedMs: booted.booted,
  });
  const lease = await abortable(guest.waitFor("lease", BOOT_MS), signal);
  const how = steps.dhcp ? "by DHCP from riplet" : "statically";
  events.say(
    "lease",
    `Guest got ${lease.ipv4} ${how} after ${lease.lease} ms, default gateway ${lease.router} (the tap); the gateway had its route ${lease.lease! - steps.routeMs} ms before that`,
    {
      ipv4: lease.ipv4,
      router: lease.router,
      leaseMs: lease.lease,
      routeAheadMs: lease.lease! - steps.routeMs,
    },
  );
  const targets = [lease.ipv4!.split("/")[0]!];
  if (steps.dhcp) {
    const slaac = await abortable(guest.waitFor("slaac", BOOT_MS), signal);
    events.say(
      "slaac",
      `Guest took ${slaac.ipv6} by SLAAC from riplet's router advertisements after ${slaac.slaac} ms`,
      {
        ipv6: slaac.ipv6,
        slaacMs: slaac.slaac,
      },
    );
    targets.push(slaac.ipv6!.split("/")[0]!);
  }
  for (const target of targets) {
    const r = await httpFromGateway(lab, gw, target);
    events.say(
      "datapath",
      r.body !== undefined
        ? `Gateway → guest: HTTP GET http://${target.includes(":") ? `[${target}]` : target}/ answered "${r.body}" (${r.ms} ms)`
        : `Gateway → guest: no answer from ${target} (${r.error})`,
      { target, ok: r.body !== undefined, ms: r.ms },
    );
  }
  for (const target of steps.dhcp ? [FAR_SIDE.ipv4, FAR_SIDE.ipv6] : [FAR_SIDE.ipv4]) {
    const { code, output } = await abortable(guest.exec(`ping -c 1 -W 3 ${target}`), signal);
    const rtt = /time=([\d.]+) ms/.exec(output)?.[1];
    events.say(
      "far-side",
      code === 0
        ? `Guest → the gateway's far side: ping ${target} answered (${rtt} ms)`
        : `Guest → the gateway's far side: no answer from ${target}`,
      { target, ok: code === 0, rttMs: rtt === undefined ? undefined : Number(rtt) },
    );
  }
}
