import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProbe } from "../../src/health/probes.js";

let tcpPort = 0;
let closedPort = 0;
let httpPort = 0;
const closers: (() => void)[] = [];

beforeAll(async () => {
  const tcp = createServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as AddressInfo).port;
  const http = createHttpServer((req, res) => {
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2000);
    res.writeHead(req.url === "/ok" ? 200 : 503).end();
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  httpPort = (http.address() as AddressInfo).port;
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
  closedPort = (gone.address() as AddressInfo).port;
  await new Promise((r) => gone.close(r));
  closers.push(
    () => tcp.close(),
    () => http.closeAllConnections(),
    () => http.close(),
  );
});
afterAll(() => {
  for (const close of closers) close();
});

describe("health probes", () => {
  it("command: exit 0 is healthy, anything else is not, and a hung command is killed at the timeout", async () => {
    expect(await runProbe({ kind: "command", command: "true" }, 1000)).toEqual({
      ok: true,
      detail: "exit 0",
    });
    expect(await runProbe({ kind: "command", command: "exit 3" }, 1000)).toEqual({
      ok: false,
      detail: "exit 3",
    });
    const t0 = Date.now();
    expect(await runProbe({ kind: "command", command: "sleep 5" }, 200)).toEqual({
      ok: false,
      detail: "no exit within 200 ms",
    });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("tcp: a listening port is healthy, a closed one is not", async () => {
    expect((await runProbe({ kind: "tcp", host: "127.0.0.1", port: tcpPort }, 1000)).ok).toBe(true);
    const closed = await runProbe({ kind: "tcp", host: "127.0.0.1", port: closedPort }, 1000);
    expect(closed).toEqual({ ok: false, detail: "ECONNREFUSED" });
  });

  it("http: 2xx is healthy; 5xx, no answer in time and no server are not", async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    expect(await runProbe({ kind: "http", url: `${base}/ok` }, 1000)).toEqual({
      ok: true,
      detail: "HTTP 200",
    });
    expect(await runProbe({ kind: "http", url: `${base}/down` }, 1000)).toEqual({
      ok: false,
      detail: "HTTP 503",
    });
    expect(await runProbe({ kind: "http", url: `${base}/slow` }, 200)).toEqual({
      ok: false,
      detail: "no answer within 200 ms",
    });
    expect((await runProbe({ kind: "http", url: `http://127.0.0.1:${closedPort}/` }, 1000)).detail).toBe(
      "ECONNREFUSED",
    );
  });
});
