import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { callDaemon, DaemonUnreachable } from "../../src/control/client.js";
import { MAX_LINE_BYTES } from "../../src/control/line-limit.js";
import { parseRequest, type Reply, type Request } from "../../src/control/protocol.js";
import { ControlSocketInUse, startControlServer, stopControlServer } from "../../src/control/server.js";

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(
  handle: (r: Request) => Promise<Reply> = async (r) => ({ id: r.id, ok: true, op: r.op }),
) {
  const path = join(mkdtempSync(join(tmpdir(), "riplet-ctl-")), "sub", "riplet.sock");
  const server = await startControlServer({ path, mode: 0o600, handle, onError: () => {} });
  servers.push({ close: () => stopControlServer(server, path) });
  return path;
}

/** Sends raw text and collects reply lines until the server closes or `count` lines came. */
function raw(path: string, text: string, count = 1): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let data = "";
    const done = () => resolve(data.split("\n").filter(Boolean));
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.split("\n").filter(Boolean).length >= count) {
        socket.end();
        done();
      }
    });
    socket.on("close", done);
    socket.on("error", reject);
    socket.write(text);
  });
}

describe("control protocol", () => {
  it.each([
    ["not json", "BAD_JSON"],
    ['{"id":1,"op":"explode"}', "UNKNOWN_OP"],
    ['{"id":1,"op":"announce","routes":[]}', "BAD_REQUEST"],
    ['{"id":1,"op":"announce","routes":[{"prefix":"198.51.100.0/24","metric":16}]}', "BAD_REQUEST"],
    ['{"id":1,"op":"withdraw","prefixes":["198.51.100.0/24"],"owner":"tap0"}', "BAD_REQUEST"],
    ['{"id":1,"op":"status","extra":true}', "BAD_REQUEST"],
    [
      '{"id":1,"op":"announce","routes":[{"prefix":"198.51.100.0/24","check":{"tcp":"x:1","http":"http://x/"}}]}',
      "BAD_REQUEST",
    ],
    [
      '{"id":1,"op":"announce","routes":[{"prefix":"198.51.100.0/24","check":{"tcp":"x:1","fall":0}}]}',
      "BAD_REQUEST",
    ],
  ])("%s → %s", (line, code) => {
    const parsed = parseRequest(line);
    expect(parsed).toMatchObject({ ok: false, error: { code } });
  });

  it("accepts the SPEC example", () => {
    expect(
      parseRequest(
        '{"id":1,"op":"announce","routes":[{"prefix":"198.51.100.0/24","metric":1,"owner":"tap0"}]}',
      ),
    ).toEqual({
      id: 1,
      op: "announce",
      routes: [{ prefix: "198.51.100.0/24", metric: 1, owner: "tap0" }],
    });
  });

  it("accepts a route with a health check, in the config's shape", () => {
    const check = { http: "http://127.0.0.1:8080/health", interval: 1, rise: 3, failMetric: 10 };
    expect(
      parseRequest(JSON.stringify({ id: 2, op: "announce", routes: [{ prefix: "198.51.100.0/24", check }] })),
    ).toEqual({ id: 2, op: "announce", routes: [{ prefix: "198.51.100.0/24", check }] });
  });
});

describe("control server", () => {
  it("answers each request with the same id, in order, and keeps serving after bad input", async () => {
    const path = await start();
    const lines = await raw(
      path,
      'garbage\n{"id":7,"op":"routes"}\n{"id":"x","op":"nope"}\n{"id":8,"op":"status"}\n',
      4,
    );
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { id: null, ok: false, error: { code: "BAD_JSON", message: expect.any(String) } },
      { id: 7, ok: true, op: "routes" },
      { id: "x", ok: false, error: { code: "UNKNOWN_OP", message: expect.stringContaining("announce") } },
      { id: 8, ok: true, op: "status" },
    ]);
  });

  it("refuses an oversize line and closes that connection only", async () => {
    const path = await start();
    const lines = await raw(path, "x".repeat(MAX_LINE_BYTES + 10));
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false, error: { code: "LINE_TOO_LONG" } });
    expect(await callDaemon(path, { id: 1, op: "reload" })).toMatchObject({ id: 1, ok: true });
  });

  it("survives a client that disconnects mid-request", async () => {
    let release!: () => void;
    const path = await start(async (r) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { id: r.id, ok: true };
    });
    const socket = createConnection(path);
    socket.write('{"id":1,"op":"status"}\n');
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    release();
    await new Promise((r) => setTimeout(r, 20));
    const second = callDaemon(path, { id: 2, op: "reload" });
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await second).toMatchObject({ id: 2, ok: true });
  });

  it("creates the socket 0600, in a directory it creates", async () => {
    const path = await start();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("replaces a stale socket file and refuses to run twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "riplet-ctl-"));
    const path = join(dir, "riplet.sock");
    // A stale socket: bound, then the process "crashed" without unlinking it.
    const stale = createServer();
    await new Promise<void>((r) => stale.listen(path, () => r()));
    await new Promise<void>((r) => {
      stale.close(() => r());
    });
    writeFileSync(join(dir, "marker"), "");
    const first = await startControlServer({
      path,
      mode: 0o600,
      handle: async (r) => ({ id: r.id, ok: true }),
      onError: () => {},
    });
    servers.push({ close: () => stopControlServer(first, path) });
    await expect(
      startControlServer({
        path,
        mode: 0o600,
        handle: async (r) => ({ id: r.id, ok: true }),
        onError: () => {},
      }),
    ).rejects.toBeInstanceOf(ControlSocketInUse);
  });

  it("a client says where it looked when nobody answers", async () => {
    const error = await callDaemon("/nonexistent/riplet.sock", { id: 1, op: "status" }).catch((e) => e);
    expect(error).toBeInstanceOf(DaemonUnreachable);
    expect(error.message).toMatch(/\/nonexistent\/riplet\.sock: is it running\?/);
  });
});
