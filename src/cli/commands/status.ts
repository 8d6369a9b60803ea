/** `riplet status`: interfaces, neighbours heard with their drop counters, and totals (SPEC §2). */
import { Command } from "commander";
import type { StatusReply } from "../../control/replies.js";
import { SEQUENCE_EXHAUSTED_FIX } from "../../speaker/sequence.js";
import { packageVersion } from "../../version.js";
import { ask } from "../daemon-client.js";
import { type CliIo, EXIT_OK } from "../io.js";

type Status = Omit<StatusReply, "id" | "ok">;

/** "A=1 B=2" for any counters by reason: new reasons show up without touching this file. */
function byReason(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}=${n}`)
    .join(" ");
}

/** What an operator must act on, first: today a crypto sequence number that cannot grow (RFC 4822 §3). */
function alarms(status: Status): string[] {
  if (!status.sequenceExhausted) return [];
  return [
    `SEQUENCE EXHAUSTED: crypto sequence number at 2^32−1 (${status.sequence}); replay protection is gone and peers that want a higher number drop our updates. Fix: ${SEQUENCE_EXHAUSTED_FIX}.`,
  ];
}

/** The daemon's own health: control clients refused or cut off, internal faults caught. */
function serving(status: Status): string[] {
  const lines: string[] = [];
  const c = status.control;
  lines.push(
    `Control: ${c.clients} connected, ${c.refusedBusy} refused busy, ${c.cutOff} cut off (not reading), ${c.linesTooLong} lines too long`,
  );
  const e = status.internalErrors;
  if (e.total > 0) lines.push(`Internal errors: ${e.total} caught (${byReason(e.byPlace)}); see the log`);
  return lines;
}

function ago(unixMs: number | undefined): string {
  return unixMs === undefined ? "" : ` for ${Math.max(0, Math.round((Date.now() - unixMs) / 1000))}s`;
}

/** Each tap serving guests: its server, and one line per lease (MAC, address, hostname, expiry). */
function guests(list: Status["guests"]): string[] {
  if (list.length === 0) return [];
  const lines = ["Guests:"];
  for (const g of list) {
    const serves = [g.dhcp ? "DHCPv4" : "", g.ra ? "RA" : ""].filter(Boolean).join(" + ");
    const state = g.running ? `dnsmasq pid ${g.pid}` : `NOT RUNNING${g.lastError ? ` (${g.lastError})` : ""}`;
    const restarts = g.restarts > 0 ? `, restarted ${g.restarts}x` : "";
    lines.push(`  ${g.tap.padEnd(12)} ${serves}, ${state}${restarts}, ${g.leases.length} lease(s)`);
    for (const l of g.leases) {
      const left =
        l.expires === null
          ? "never expires"
          : `expires in ${Math.max(0, Math.round(l.expires - Date.now() / 1000))}s`;
      lines.push(`    ${l.mac}  ${l.address.padEnd(15)}  ${(l.hostname ?? "-").padEnd(16)} ${left}`);
    }
  }
  return lines;
}

/** "3d 4h", "2h 5m", "4m 10s", "12s": as long as it takes to read at a glance. */
function duration(seconds: number): string {
  const units: [number, string][] = [
    [86400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(seconds));
  for (const [size, unit] of units) {
    if (rest >= size || (unit === "s" && parts.length === 0)) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** The daemon's version and uptime; and when this CLI is another version, that a restart runs it. */
function heading(status: Status): string {
  const mine = packageVersion();
  const other = mine !== status.version ? ` (this CLI is ${mine}: restart the daemon to run it)` : "";
  return `riplet ${status.version}${other}, up ${duration(status.uptimeSeconds)}`;
}

function render(status: Status): string[] {
  const lines = [...alarms(status), heading(status), "Interfaces:"];
  for (const i of status.interfaces) {
    const addresses = [...i.ipv4, ...(i.ipv6LinkLocal ? [i.ipv6LinkLocal] : [])].join(" ") || "no address";
    const rip = i.rip ? `RIPv2 auth ${i.rip.auth}` : "RIPv2 off";
    lines.push(
      `  ${i.name.padEnd(12)} ${i.up ? "up  " : "DOWN"} ${addresses}  ${rip}, RIPng ${i.ripng ? "on" : "off"}`,
    );
  }
  lines.push("Neighbours:");
  if (status.neighbors.length === 0) lines.push("  (none heard yet)");
  for (const n of status.neighbors) {
    const heard = n.lastHeard === null ? "never valid" : `${n.lastHeard}s ago`;
    const drops = byReason(n.drops);
    lines.push(
      `  ${n.address.padEnd(28)} ${n.interface.padEnd(10)} v${n.version} heard ${heard.padEnd(12)} routes ${String(n.routes).padEnd(5)} bad packets ${n.badPackets} bad routes ${n.badRoutes}${drops ? ` (${drops})` : ""}`,
    );
  }
  const checks = status.healthChecks;
  if (checks.length > 0) lines.push("Health checks:");
  for (const c of checks) {
    lines.push(
      `  ${c.prefix.padEnd(28)} ${c.health.padEnd(8)}${ago(c.since)}${c.detail ? `  (${c.detail})` : ""}`,
    );
  }
  lines.push(...guests(status.guests));
  if (status.maintenance) lines.push("MAINTENANCE: the maintenance file exists; every route is withdrawn");
  const c = status.counters;
  lines.push(
    `Routes: ${status.routes.active} active, ${status.routes.withdrawing} withdrawing, ${status.routes.held} held`,
    `Packets: ${c.packetsSent} sent, ${c.packetsReceived} received, ${c.packetsDropped} dropped, ${c.routesSkipped} routes skipped; ${c.updatesSent} periodic and ${c.triggeredUpdatesSent} triggered updates, ${c.requestsAnswered} requests answered${c.outputQueueDrops > 0 ? `; ${c.outputQueueDrops} datagrams dropped by a full output queue (more to send than pacing lets out; see the log)` : ""}`,
  );
  const drops = byReason(status.drops);
  if (drops) lines.push(`Drops: ${drops}`);
  lines.push(...serving(status));
  return lines;
}

export function statusCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("status")
    .summary("show interfaces, neighbours heard and counters")
    .description(
      "What the daemon sees: its version and uptime, its uplinks, every RIP/RIPng neighbour heard (last heard, routes, bad packets and routes by reason), the taps whose guests it addresses with their DHCP leases, and route and packet counters (active, withdrawing, held: asked for but not announced while its check fails or maintenance is on).",
    )
    .option("--json", "one JSON object")
    .addHelpText(
      "after",
      "\nExamples:\n  riplet status\n  riplet --socket /run/riplet/riplet.sock status --json",
    )
    .action(async (options: { json?: boolean }) => {
      const asked = await ask(io, "status", socket(), { id: 1, op: "status" });
      if (!asked.ok) return setExit(asked.code);
      const { id: _id, ok: _ok, ...status } = asked.reply;
      if (options.json) io.out(JSON.stringify(status));
      else for (const line of render(status)) io.out(line);
      setExit(EXIT_OK);
    });
}
