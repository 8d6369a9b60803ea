/** Readable (non-JSON) rendering of dissected datagrams, for decode and listen. */
import type { AuthView, DatagramView, EntryView } from "./dissect.js";
import type { CliIo } from "./io.js";

function protocolName(view: DatagramView): string {
  return view.family === "ipv6" ? `RIPng v${view.version}` : `RIPv${view.version}`;
}

function authText(auth: AuthView): string {
  const verdict =
    auth.verified === null ? "not checked (no --key)" : auth.verified ? "verified" : "NOT VERIFIED";
  if (auth.type === "simple") return `auth simple "${auth.password}" ${verdict}`;
  const algorithm = auth.algorithm ?? "algorithm unknown";
  return `auth crypto key ${auth.keyId} seq ${auth.sequence} len ${auth.authDataLength} ${algorithm} ${verdict}`;
}

function entryText(entry: EntryView): string {
  const parts = [entry.prefix.padEnd(24), `metric ${entry.metric}`.padEnd(10), `tag ${entry.tag}`.padEnd(10)];
  parts.push(`next hop ${entry.nextHop}`);
  if (entry.afi !== undefined) parts.push(`afi ${entry.afi}`);
  if (entry.skip) parts.push(`(skipped: ${entry.skip})`);
  return `  ${parts.join(" ")}`;
}

/** "198.18.0.1:520 → 224.0.0.9", as tshark shows a packet: source, then destination where known. */
function endpoints(view: DatagramView): string {
  const from = view.source
    ? `${view.source.includes(":") ? `[${view.source}]` : view.source}:${view.sourcePort}`
    : "-";
  const to = [view.destination ? `→ ${view.destination}` : "", view.interface ? `on ${view.interface}` : ""];
  return [from, ...to.filter(Boolean)].join(" ");
}

function formatDatagram(view: DatagramView): string[] {
  const head = [`frame ${view.frame}`, ...(view.time ? [view.time] : []), endpoints(view)].join("  ");
  if (view.error)
    return [`${head}  MALFORMED ${view.error.code} at byte ${view.error.offset}: ${view.error.message}`];
  const line = [head, protocolName(view), view.command ?? ""];
  if (view.auth) line.push(authText(view.auth));
  if (view.wholeTable) line.push("whole table");
  else line.push(`${view.entries?.length ?? 0} entries`);
  return [line.join("  "), ...(view.entries ?? []).map(entryText)];
}

/** One datagram as a JSON line (`--json`) or as readable lines. */
export function printDatagram(io: Pick<CliIo, "out">, view: DatagramView, json: boolean | undefined): void {
  if (json) io.out(JSON.stringify(view));
  else for (const line of formatDatagram(view)) io.out(line);
}

/** What `--json` prints, for decode's, listen's and query's help (the README's "Looking at the wire" shows one). */
export const JSON_FIELDS_HELP = `--json prints one object a line: frame, time (ISO 8601, UTC), source, sourcePort, destination
(or interface, for listen), family (ipv4 = RIPv1/v2, ipv6 = RIPng), command, version, auth (type,
keyId, sequence, algorithm, verified: null without --key), wholeTable, and entries (prefix, tag,
nextHop, metric; skip: why riplet would ignore it); a malformed datagram has error (code, offset,
message) instead.`;
