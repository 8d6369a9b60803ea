/**
 * Bulk `riplet announce` / `withdraw` (issue 15 item 4): any number of prefixes, from the arguments and
 * `--file FILE|-`, checked before anything is sent, cut into requests the control protocol accepts,
 * pipelined on one connection with a bounded window, one summary at the end.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { batch, MAX_ROUTES_PER_REQUEST, parsePrefixFile } from "../../src/cli/bulk.js";
import { callPipelined } from "../../src/control/client.js";
import { MAX_LINE_BYTES } from "../../src/control/line-limit.js";
import { parseRequest, type Request } from "../../src/control/protocol.js";
import { startControlServer, stopControlServer } from "../../src/control/server.js";
import { cli } from "../helpers/cli.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function socketPath(): string {
  return join(mkdtempSync(join(tmpdir(), "riplet-bulk-")), "riplet.sock");
}

/** A daemon that applies announce/withdraw requests in order, refusing the request numbered `refuse`. */
async function daemon(refuse?: number): Promise<{ socket: string; asked: Request[] }> {
  const socket = socketPath();
  const asked: Request[] = [];
  const handle = async (r: Request) => {
    asked.push(r);
    if (r.id === refuse)
      return { id: r.id, ok: false as const, error: { code: "INTERNAL" as const, message: "disk full" } };
    if (r.op === "announce") return { id: r.id, ok: true as const, announced: r.routes.map((x) => x.prefix) };
    if (r.op === "withdraw") return { id: r.id, ok: true as const, withdrawn: r.prefixes ?? [] };
    return { id: r.id, ok: true as const };
  };
  const server = await startControlServer({ path: socket, mode: 0o600, handle, onError: () => {} });
  closers.push(() => stopControlServer(server, socket));
  return { socket, asked };
}

/** 198.18.0.0/15 cut into /32s: n distinct, valid prefixes. */
function prefixes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `198.18.${i >> 8}.${i & 255}/32`);
}

describe("parsePrefixFile", () => {
  it("reads one prefix a line, ignoring comments and blank lines", () => {
    const text = "# VMs\n198.51.100.0/24\n\n  2001:db8:42::/48   # lab\n\t\n203.0.113.0/24";
    expect(parsePrefixFile(text, "f")).toEqual(["198.51.100.0/24", "2001:db8:42::/48", "203.0.113.0/24"]);
  });

  it("refuses the first bad line with file:line and the reason", () => {
    const text = "198.51.100.0/24\n# ok\n198.51.100.1/24\n224.0.0.0/4\n";
    expect(() => parsePrefixFile(text, "vms.txt")).toThrow(
      "vms.txt:3: 198.51.100.1/24 has host bits set; did you mean 198.51.100.0/24?",
    );
    expect(() => parsePrefixFile("198.51.100.0/24 203.0.113.0/24", "x")).toThrow(/^x:1: .*one prefix a line/);
  });
});

describe("batch", () => {
  it("keeps every request under the line bound and the route bound, in order", () => {
    const routes = prefixes(30_000).map((prefix) => ({ prefix, metric: 1, tag: 0, owner: "tap0" }));
    const batches = batch(routes);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(routes);
    for (const [i, b] of batches.entries()) {
      const line = JSON.stringify({ id: i + 1, op: "announce", routes: b });
      expect(Buffer.byteLength(line) + 1).toBeLessThanOrEqual(MAX_LINE_BYTES);
      expect(b.length).toBeLessThanOrEqual(MAX_ROUTES_PER_REQUEST);
    }
    // small items hit the count bound, not the byte bound
    expect(batch(Array.from({ length: 25_000 }, () => 1)).map((b) => b.length)).toEqual([
      10_000, 10_000, 5_000,
    ]);
  });
});

describe("callPipelined", () => {
  it("keeps at most the window unanswered on one connection", async () => {
    const path = socketPath();
    let connections = 0;
    let maxOutstanding = 0;
    const server: Server = createServer((s) => {
      connections++;
      let outstanding = 0;
      let buffered = "";
      s.on("data", (chunk) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const request = parseRequest(buffered.slice(0, nl)) as Request;
          buffered = buffered.slice(nl + 1);
          maxOutstanding = Math.max(maxOutstanding, ++outstanding);
          setTimeout(() => {
            outstanding--;
            s.write(`${JSON.stringify({ id: request.id, ok: true })}\n`);
          }, 2);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const requests = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, op: "reload" as const }));
    const { replies, broken } = await callPipelined(path, requests, 8);
    expect(broken).toBeUndefined();
    expect(replies.map((r) => r.id)).toEqual(requests.map((r) => r.id));
    expect(connections).toBe(1);
    expect(maxOutstanding).toBeGreaterThan(1);
    expect(maxOutstanding).toBeLessThanOrEqual(8);
  });
});

describe("riplet announce / withdraw with many prefixes", () => {
  it("announces 10,000 prefixes from a file in several requests and prints one summary", async () => {
    const { socket, asked } = await daemon();
    const all = prefixes(10_000);
    const file = join(mkdtempSync(join(tmpdir(), "riplet-bulk-")), "p.txt");
    writeFileSync(file, `# generated\n${all.join("\n")}\n`);
    const { code, out } = await cli(
      "--socket",
      socket,
      "announce",
      "--file",
      file,
      "--owner",
      "tap0",
      "--json",
    );
    expect(code).toBe(0);
    expect(asked.length).toBeGreaterThan(1);
    expect(asked.flatMap((r) => (r.op === "announce" ? r.routes.map((x) => x.prefix) : []))).toEqual(all);
    expect(out).toHaveLength(1);
    const summary = JSON.parse(out[0]!) as { ok: boolean; announced: string[]; batches: number };
    expect(summary.ok).toBe(true);
    expect(summary.announced).toEqual(all);
    expect(summary.batches).toBe(asked.length);
  });

  it("sends nothing when one line of the file is bad", async () => {
    const { socket, asked } = await daemon();
    const file = join(mkdtempSync(join(tmpdir(), "riplet-bulk-")), "p.txt");
    writeFileSync(file, "198.51.100.0/24\n203.0.113.7/24\n");
    const { code, err } = await cli("--socket", socket, "announce", "--file", file);
    expect(code).toBe(2);
    expect(err.join("\n")).toContain(`${file}:2: 203.0.113.7/24 has host bits set`);
    expect(asked).toEqual([]);
  });

  it("on a refused later request, stops sending and reports every prefix applied", async () => {
    const { socket, asked } = await daemon(2);
    const all = prefixes(20_000);
    const { code, out } = await cli("--socket", socket, "withdraw", ...all, "--json");
    expect(code).toBe(1);
    const report = JSON.parse(out[0]!) as { ok: boolean; applied: string[]; notApplied: number };
    expect(report.ok).toBe(false);
    // nothing is sent after the refusal; the few already in flight (the window) are applied, and listed
    expect(asked.length).toBeGreaterThan(2);
    expect(asked.length).toBeLessThanOrEqual(1 + 8);
    const applied = asked
      .filter((r) => r.id !== 2)
      .flatMap((r) => (r.op === "withdraw" ? (r.prefixes ?? []) : []));
    expect(report.applied).toEqual(applied);
    expect(report.notApplied).toBe(all.length - applied.length);
  });
});
