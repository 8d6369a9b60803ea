/**
 * RipTransport.send never rejects (issue 13): the host fires answers and updates without waiting, so
 * a rejection there would end the daemon. Each failure is reported and the rest still goes out.
 */
import dgram from "node:dgram";
import { describe, expect, it } from "vitest";
import type { SendAction } from "../../src/speaker/types.js";
import { RipTransport } from "../../src/transport/udp.js";

const action = (over: Partial<SendAction> = {}): SendAction => ({
  interface: "eth0",
  family: "ipv4",
  destination: "127.0.0.1",
  port: 9,
  bytes: new Uint8Array(24),
  ...over,
});

function transport() {
  const errors: string[] = [];
  const t = new RipTransport(
    { receive: () => {}, error: ({ operation, error }) => errors.push(`${operation}: ${error.message}`) },
    { ipv4: true, ipv6: false },
  );
  return { t, errors };
}

/** Puts a socket in place of eth0's without binding port 520 (the unit suite runs unprivileged). */
function withSocket(t: RipTransport, socket: dgram.Socket): void {
  const links = (t as unknown as { links: Map<string, unknown> }).links;
  links.set("eth0", { state: { name: "eth0", ipv4: [], mtu: 1500 }, ipv4: socket });
}

describe("RipTransport.send", () => {
  it("resolves and reports a datagram for a link it has no socket on", async () => {
    const { t, errors } = transport();
    await expect(t.send([action({ interface: "eth9" })])).resolves.toBeUndefined();
    expect(errors).toEqual(["send: no ipv4 socket on eth9"]);
  });

  it("resolves when the socket was closed under it, and reports every datagram", async () => {
    const { t, errors } = transport();
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    socket.close();
    withSocket(t, socket);
    await expect(t.send([action(), action()])).resolves.toBeUndefined();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^send: /);
  });

  it("a bad destination fails alone: the next datagram is still sent", async () => {
    const { t, errors } = transport();
    const socket = dgram.createSocket("udp4");
    const receiver = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => receiver.bind(0, "127.0.0.1", resolve));
    const got = new Promise<Buffer>((resolve) => receiver.once("message", resolve));
    withSocket(t, socket);
    const port = receiver.address().port;
    await expect(
      t.send([action({ destination: "not an address", port }), action({ port, bytes: Uint8Array.of(7) })]),
    ).resolves.toBeUndefined();
    expect([...(await got)]).toEqual([7]);
    expect(errors).toHaveLength(1);
    socket.close();
    receiver.close();
  });

  it("counts what a full output queue refuses, once per update, and still resolves", async () => {
    const dropped: number[] = [];
    const errors: string[] = [];
    const t = new RipTransport(
      {
        receive: () => {},
        error: ({ error }) => errors.push(error.message),
        dropped: (count) => dropped.push(count),
      },
      { ipv4: true, ipv6: false },
    );
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    withSocket(t, socket);
    // an empty lane takes a whole update, however large; the next one finds it over its bound
    const huge = Array.from({ length: 17_000 }, () => action());
    const first = t.send(huge);
    await expect(t.send([action(), action(), action()])).resolves.toBeUndefined();
    expect(dropped).toEqual([3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^output queue full .*: 3 datagrams dropped/);
    t.discardQueued(); // what is still queued resolves the first send() too
    await first;
    t.close();
  });
});
