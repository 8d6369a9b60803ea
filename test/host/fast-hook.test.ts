/**
 * hooks/fast-hook.pl (the hooks' path to a running daemon) against a stand-in control socket: the
 * request it sends, how it turns replies into exit codes, and when it hands over to the Node.js hook.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const HOOKS = new URL("../../hooks/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "riplet-fast-hook-"));
const socket = join(dir, "riplet.sock");
let server: Server;
let requests: unknown[] = [];
let reply = '{"id":1,"ok":true}';

beforeAll(async () => {
  server = createServer((conn) => {
    conn.setEncoding("utf8");
    let buffered = "";
    conn.on("data", (chunk: string) => {
      buffered += chunk;
      if (!buffered.includes("\n")) return;
      requests.push(JSON.parse(buffered));
      conn.end(`${reply}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  requests = [];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { PATH: process.env.PATH, RIPLET_SOCKET: socket, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

const fastHook = (...args: string[]) => ["perl", join(HOOKS, "fast-hook.pl"), ...args];

describe("hooks/fast-hook.pl", () => {
  it("sends one hook request with the tap and RIPLET_ADDRESSES, and exits 0 on ok", async () => {
    reply = '{"id":1,"ok":true,"announced":["198.51.100.0/24"]}';
    const result = await run(fastHook("up", "tap0"), {
      RIPLET_ADDRESSES: "198.51.100.1/24, 2001:db8:42::1/64",
    });
    expect(result).toEqual({ code: 0, stderr: "" });
    expect(requests).toEqual([
      {
        id: 1,
        op: "hook",
        action: "up",
        ifname: "tap0",
        addresses: ["198.51.100.1/24", "2001:db8:42::1/64"],
      },
    ]);
  });

  it("leaves addresses to the daemon's config when RIPLET_ADDRESSES is unset", async () => {
    reply = '{"id":1,"ok":true}';
    await run(fastHook("down", "tap7"));
    expect(requests).toEqual([{ id: 1, op: "hook", action: "down", ifname: "tap7" }]);
  });

  it("a refused up exits 1 with the daemon's message on one line", async () => {
    reply = JSON.stringify({
      id: 1,
      ok: false,
      error: { code: "NOT_ALLOWED", message: 'prefix "198.51.100.0/24" is not in allow' },
    });
    const result = await run(fastHook("up", "tap0"), { RIPLET_ADDRESSES: "198.51.100.1/24" });
    expect(result).toEqual({
      code: 1,
      stderr: 'riplet hook up tap0: prefix "198.51.100.0/24" is not in allow\n',
    });
  });

  it("a refused down still exits 0: QEMU must never be held by a down-script", async () => {
    reply = JSON.stringify({ id: 1, ok: false, error: { code: "HOST_ERROR", message: "ip failed" } });
    expect((await run(fastHook("down", "tap0"))).code).toBe(0);
  });

  it.each([
    ["no daemon on the socket", fastHook("up", "tap0"), { RIPLET_SOCKET: join(dir, "absent.sock") }],
    ["an interface name it cannot vouch for", fastHook("up", "tap 0"), {}],
    ["an address with odd characters", fastHook("up", "tap0"), { RIPLET_ADDRESSES: 'x",y' }],
    ["no action", fastHook(), {}],
    // issue 13: Perl's $ matches before a final newline; the filter must not let one through
    ["an interface name ending in a newline", fastHook("down", "tap0\n"), {}],
    ["an address with a second slash", fastHook("up", "tap0"), { RIPLET_ADDRESSES: "1.1.1.1/24/8" }],
    ["more than 32 addresses", fastHook("up", "tap0"), { RIPLET_ADDRESSES: "10.0.0.1/8 ".repeat(33) }],
  ])("hands over to the Node.js hook (exit 75): %s", async (_why, argv, env) => {
    expect((await run(argv, env)).code).toBe(75);
    expect(requests).toEqual([]);
  });

  it("a down the daemon refuses on an uplink exits 0 with its one line", async () => {
    reply = JSON.stringify({
      id: 1,
      ok: false,
      error: { code: "BAD_REQUEST", message: "eth0 is not a tun/tap device; the hook only acts on VM taps" },
    });
    const result = await run(fastHook("down", "eth0"), { RIPLET_ADDRESSES: "192.0.2.2/24" });
    expect(result).toEqual({
      code: 0,
      stderr: "riplet hook down eth0: eth0 is not a tun/tap device; the hook only acts on VM taps\n",
    });
  });

  it("hands over to the Node.js hook when the daemon does not know the op (older daemon)", async () => {
    reply = JSON.stringify({ id: 1, ok: false, error: { code: "UNKNOWN_OP", message: "unknown op" } });
    expect((await run(fastHook("up", "tap0"), { RIPLET_ADDRESSES: "198.51.100.1/24" })).code).toBe(75);
  });
});

describe("hooks/qemu-ifup", () => {
  it("uses the fast path when a daemon answers, and its exit code", async () => {
    reply = JSON.stringify({
      id: 1,
      ok: false,
      error: { code: "BAD_REQUEST", message: "tapX is not a tun/tap device" },
    });
    const result = await run(["sh", join(HOOKS, "qemu-ifup"), "tapX"], {
      RIPLET_ADDRESSES: "198.51.100.1/24",
    });
    expect(requests).toHaveLength(1);
    expect(result).toEqual({ code: 1, stderr: "riplet hook up tapX: tapX is not a tun/tap device\n" });
  });

  it("falls back to `riplet hook up` when the fast path cannot be used", async () => {
    const result = await run(["sh", join(HOOKS, "qemu-ifup"), "rl-no-such-tap"], {
      RIPLET_SOCKET: join(dir, "absent.sock"),
      RIPLET_ADDRESSES: "198.51.100.1/24",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("riplet hook up rl-no-such-tap: interface rl-no-such-tap does not exist\n");
  });
});
