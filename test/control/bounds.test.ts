/**
 * The control socket's bounds (issue 13 item 4, SPEC §4 "a client that does not read its replies is
 * slowed, then disconnected"): real Unix sockets in a temporary directory.
 */
import { mkdtempSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import type { Reply, Request } from "../../src/control/protocol.js";
import {
  type ControlLimits,
  type ControlServer,
  startControlServer,
  stopControlServer,
} from "../../src/control/server.js";

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

const LIMITS: ControlLimits = { controlClients: 8, controlQueue: 8, controlReplyBytes: 256 * 1024 };

async function start(
  handle: (r: Request) => Promise<Reply>,
  limits: Partial<ControlLimits> = {},
  stallMs = 300,
): Promise<{ path: string; control: ControlServer }> {
  const path = join(mkdtempSync(join(tmpdir(), "riplet-bounds-")), "riplet.sock");
  const control = await startControlServer({
    path,
    mode: 0o600,
    handle,
    onError: () => {},
    limits: { ...LIMITS, ...limits },
    stallMs,
  });
  cleanup.push(() => stopControlServer(control, path));
  return { path, control };
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path, () => resolve(socket));
    socket.once("error", reject);
    cleanup.push(() => void socket.destroy());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

/** A `routes` answer the size of a big table's (20k routes make 2.1 MB; a quarter of that here). */
const bigReply = (bytes: number) => async (r: Request) => ({
  id: r.id,
  ok: true as const,
  blob: "x".repeat(bytes),
});

const pipelined = (count: number) =>
  `${Array.from({ length: count }, (_, i) => JSON.stringify({ id: i, op: "routes" })).join("\n")}\n`;

describe("control socket bounds", () => {
  it("a client pipelining 3,000 requests and never reading is held to the bound, then cut off; others are served meanwhile", async () => {
    let answered = 0;
    const reply = bigReply(500_000);
    const { path, control } = await start(async (r) => {
      if (r.id === "other") return { id: r.id, ok: true };
      answered++;
      return reply(r);
    });
    const hog = await connect(path);
    hog.pause(); // never reads a byte
    hog.write(pipelined(3000));
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, control.bufferedBytes);
    }, 5);
    cleanup.push(() => clearInterval(sampler));
    await until(() => control.bufferedBytes > LIMITS.controlReplyBytes);
    // another client is served while the hog is stuck
    expect(await callDaemon(path, { id: "other", op: "reload" }, 3000)).toMatchObject({
      id: "other",
      ok: true,
    });
    await until(() => control.counters.cutOff === 1);
    clearInterval(sampler);
    // the hog finds its connection closed once it looks
    const closed = new Promise<void>((resolve) => hog.once("close", () => resolve()));
    hog.resume();
    await closed;
    expect(control.counters.cutOff).toBe(1);
    // what the daemon held for it: under the bound plus one reply, never the 1.5 GB it asked for
    expect(maxBuffered).toBeLessThanOrEqual(LIMITS.controlReplyBytes + 500_100);
    expect(answered).toBeLessThan(50);
    // the server sees the close on its side a moment after the client does
    await until(() => control.counters.clients === 0);
    expect(control.counters.clients).toBe(0);
  });

  it("stops reading past controlQueue requests held unanswered", async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let answered = 0;
    const { path, control } = await start(async (r) => {
      await blocked;
      answered++;
      return { id: r.id, ok: true };
    });
    const client = await connect(path);
    let replies = 0;
    client.on("data", (chunk) => {
      replies += String(chunk).split("\n").length - 1;
    });
    client.write(pipelined(3000));
    await sleep(200);
    expect(control.queuedRequests).toBeLessThanOrEqual(LIMITS.controlQueue);
    release();
    // nothing is lost by pausing: every request is answered once the handler is free
    await until(() => replies === 3000);
    expect(answered).toBe(3000);
  });

  it("a slow reader gets every reply, including one bigger than the bound on its own", async () => {
    const { path, control } = await start(
      async (r) => ({ id: r.id, ok: true, blob: "y".repeat(r.id === 0 ? 1_000_000 : 60_000) }),
      { controlReplyBytes: 64 * 1024 },
    );
    const client = await connect(path);
    const ids: unknown[] = [];
    let text = "";
    client.setEncoding("utf8");
    client.on("data", (chunk: string) => {
      text += chunk;
      let newline = text.indexOf("\n");
      while (newline >= 0) {
        ids.push((JSON.parse(text.slice(0, newline)) as Reply).id);
        text = text.slice(newline + 1);
        newline = text.indexOf("\n");
      }
      // reads a chunk, then looks away for a while: slower than the daemon writes
      client.pause();
      setTimeout(() => client.resume(), 5);
    });
    client.write(pipelined(100));
    await until(() => ids.length === 100, 20_000);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(control.counters.cutOff).toBe(0);
  });

  it("one client past controlClients is told BUSY and closed; the CLI's client retries until a slot frees", async () => {
    const { path, control } = await start(async (r) => ({ id: r.id, ok: true }), { controlClients: 2 });
    const held = [await connect(path), await connect(path)];
    await until(() => control.counters.clients === 2);
    const third = await connect(path);
    const line = await new Promise<string>((resolve) => {
      let text = "";
      third.on("data", (chunk) => {
        text += chunk;
      });
      third.on("close", () => resolve(text));
    });
    expect(JSON.parse(line)).toEqual({
      id: null,
      ok: false,
      error: { code: "BUSY", message: "too many control clients (2); try again" },
    });
    expect(control.counters.refusedBusy).toBe(1);
    setTimeout(() => held[0]!.destroy(), 200);
    expect(await callDaemon(path, { id: 5, op: "reload" }, 3000)).toEqual({ id: 5, ok: true });
    expect(control.counters.refusedBusy).toBeGreaterThan(1); // it was refused first, then retried
  });

  it("1,000 clients at once with 8 slots all get their answer", async () => {
    const { path } = await start(async (r) => ({ id: r.id, ok: true }));
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => callDaemon(path, { id: i, op: "reload" }, 15_000)),
    );
    expect(replies.map((r) => r.ok && r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
