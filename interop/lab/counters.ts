/** Counters read from /proc: a process's resident memory and a namespace's UDP datagram counts. */
import { readFileSync } from "node:fs";
import type { Lab } from "./lab.js";

/** Resident memory of a process in KiB (/proc/PID/status VmRSS), unrounded. */
export function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** What the kernel of `ns` handed to UDP sockets (read by the application) and dropped for full buffers. */
export async function udpCounters(lab: Lab, ns: string) {
  const snmp = (await lab.exec(ns, ["cat", "/proc/net/snmp"])).stdout.split("\n");
  const [head = [], values = []] = snmp.filter((l) => l.startsWith("Udp:")).map((l) => l.split(/\s+/));
  const v4 = (name: string) => Number(values[head.indexOf(name)]);
  const snmp6 = (await lab.exec(ns, ["cat", "/proc/net/snmp6"])).stdout;
  const v6 = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, "m").exec(snmp6)?.[1]);
  return {
    ipv4: { delivered: v4("InDatagrams"), bufferDrops: v4("RcvbufErrors") },
    ipv6: { delivered: v6("Udp6InDatagrams"), bufferDrops: v6("Udp6RcvbufErrors") },
  };
}
