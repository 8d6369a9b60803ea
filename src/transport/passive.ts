/**
 * Sockets for the one-shot tools: `listen` (join the RIP groups on an interface and hear everything)
 * and `query` (send one Request from the RIP port and collect the answers).
 */
import dgram from "node:dgram";
import type { Family, LinkState } from "../speaker/types.js";
import {
  RIP_PORT,
  RIPNG_HOP_LIMIT,
  RIPNG_MULTICAST_GROUP,
  RIPNG_PORT,
  RIPV2_MULTICAST_GROUP,
} from "../wire/constants.js";

export interface Heard {
  family: Family;
  bytes: Uint8Array;
  source: string;
  sourcePort: number;
  /** When it arrived (Unix ms), for the time `listen` and `query` print. */
  receivedAt: number;
}

function createSocket(family: Family): dgram.Socket {
  return family === "ipv4"
    ? dgram.createSocket({ type: "udp4", reuseAddr: true })
    : dgram.createSocket({ type: "udp6", reuseAddr: true, ipv6Only: true });
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ port, address }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}

/** Joins 224.0.0.9 and ff02::9 on the link and reports every datagram on UDP 520/521. */
export async function listen(link: LinkState, onHeard: (heard: Heard) => void): Promise<() => void> {
  const sockets: dgram.Socket[] = [];
  const open = async (family: Family, port: number, address: string, join: () => [string, string]) => {
    const socket = createSocket(family);
    sockets.push(socket);
    socket.on("message", (bytes, rinfo) =>
      onHeard({ family, bytes, source: rinfo.address, sourcePort: rinfo.port, receivedAt: Date.now() }),
    );
    await bind(socket, port, address);
    socket.addMembership(...join());
  };
  const v4 = link.ipv4[0]?.address;
  if (v4) await open("ipv4", RIP_PORT, "0.0.0.0", () => [RIPV2_MULTICAST_GROUP, v4]);
  if (link.ipv6LinkLocal)
    await open("ipv6", RIPNG_PORT, "::", () => [RIPNG_MULTICAST_GROUP, `::%${link.name}`]);
  return () => {
    for (const socket of sockets) socket.close();
  };
}

/** The source address the kernel would use toward `target` (a connected UDP socket tells). */
export async function sourceAddressFor(family: Family, target: string): Promise<string> {
  const socket = createSocket(family);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(family === "ipv4" ? RIP_PORT : RIPNG_PORT, target, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

export interface QueryOptions {
  family: Family;
  /** Target, with a zone for IPv6 link-local ("fe80::1%eth0"). */
  target: string;
  /** Our address to send from, zone included for link-local. */
  source: string;
  request: Uint8Array;
  /** Give up after this long without any answer. */
  timeoutMs: number;
  /** After an answer, stop once nothing more came for this long (a table spans several packets). */
  quietMs: number;
  /**
   * "rip": send from UDP 520/521 (BIRD ignores anything else), falling back to a random port without
   * root. "ephemeral": a random port, so the answer cannot go to a daemon bound to the RIP port on the
   * same address (Linux hands a unicast datagram to one of the sockets sharing a port, not to all).
   */
  from?: "rip" | "ephemeral";
}

/**
 * Sends one Request from the RIP port (BIRD ignores packets from any other port) and gathers the
 * answers. Falls back to an ephemeral port when the RIP port cannot be bound (not root).
 */
export async function query(options: QueryOptions): Promise<{ heard: Heard[]; sourcePort: number }> {
  const port = options.family === "ipv4" ? RIP_PORT : RIPNG_PORT;
  if (options.from === "ephemeral") return queryFrom(createSocket(options.family), 0, options);
  const socket = createSocket(options.family);
  try {
    await bind(socket, port, options.source);
  } catch {
    socket.close();
    return queryFrom(createSocket(options.family), 0, options);
  }
  return queryFrom(socket, port, options);
}

async function queryFrom(socket: dgram.Socket, port: number, options: QueryOptions) {
  if (port === 0) await bind(socket, 0, options.source);
  if (options.family === "ipv6") socket.setTTL(RIPNG_HOP_LIMIT);
  const heard: Heard[] = [];
  const targetAddress = options.target.replace(/%.*$/, "");
  return new Promise<{ heard: Heard[]; sourcePort: number }>((resolve, reject) => {
    let timer = setTimeout(finish, options.timeoutMs);
    function finish() {
      clearTimeout(timer);
      const sourcePort = socket.address().port;
      socket.close();
      resolve({ heard, sourcePort });
    }
    socket.on("message", (bytes, rinfo) => {
      if (rinfo.address.replace(/%.*$/, "") !== targetAddress) return;
      heard.push({
        family: options.family,
        bytes,
        source: rinfo.address,
        sourcePort: rinfo.port,
        receivedAt: Date.now(),
      });
      clearTimeout(timer);
      timer = setTimeout(finish, options.quietMs);
    });
    socket.send(
      options.request,
      options.family === "ipv4" ? RIP_PORT : RIPNG_PORT,
      options.target,
      (error) => {
        if (error) {
          clearTimeout(timer);
          socket.close();
          reject(error);
        }
      },
    );
  });
}
