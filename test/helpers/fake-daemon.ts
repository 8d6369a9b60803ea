/** A control server that records each request and answers ok with what `reply` returns. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reply, Request } from "../../src/control/protocol.js";
import { startControlServer, stopControlServer } from "../../src/control/server.js";

export interface FakeDaemon {
  socket: string;
  asked: Request[];
  close(): Promise<void>;
}

export async function fakeDaemon(
  reply: (r: Request) => Record<string, unknown> = () => ({}),
): Promise<FakeDaemon> {
  const socket = join(mkdtempSync(join(tmpdir(), "riplet-cli-")), "riplet.sock");
  const asked: Request[] = [];
  const handle = async (r: Request): Promise<Reply> => {
    asked.push(r);
    return { id: r.id, ok: true, ...reply(r) };
  };
  const server = await startControlServer({ path: socket, mode: 0o600, handle, onError: () => {} });
  return { socket, asked, close: () => stopControlServer(server, socket) };
}
