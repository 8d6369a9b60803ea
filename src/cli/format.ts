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

function formatDatagram(view: DatagramView): string[] {
  const from = view.source
    ? `${view.source.includes(":") ? `[${view.source}]` : view.source}:${view.sourcePort}`
    : "-";
  const head = `frame ${view.frame}  ${from}`;
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
