/** The control protocol's request checks (SPEC §4): a malformed request is a reply, never a throw. */
import { describe, expect, it } from "vitest";
import { isReply, parseRequest, type Reply } from "../../src/control/protocol.js";

function refused(line: string): { id: unknown; code: string; message: string } {
  const parsed = parseRequest(line);
  if (!isReply(parsed) || parsed.ok) throw new Error(`accepted: ${line}`);
  return { id: parsed.id, ...(parsed as Extract<Reply, { ok: false }>).error };
}

describe("control requests", () => {
  it.each([
    [
      { id: 1, op: "announce", routes: [{ prefix: "198.51.100.0/24", owner: "tap 0" }] },
      /^routes\.0\.owner: /,
    ],
    [
      { id: 1, op: "announce", routes: [{ prefix: "198.51.100.0/24", owner: "tap0\n" }] },
      /^routes\.0\.owner: /,
    ],
    [{ id: 1, op: "withdraw", owner: "a/b" }, /^owner: an interface name/],
    [{ id: 1, op: "hook", action: "down", ifname: "eth0\nx" }, /^ifname: an interface name/],
    [{ id: 1, op: "announce", routes: [{ prefix: "198.51.100.0/24", nextHop: 7 }] }, /^routes\.0\.nextHop: /],
  ])("%j is a BAD_REQUEST naming the field", (request, message) => {
    const reply = refused(JSON.stringify(request));
    expect(reply.code).toBe("BAD_REQUEST");
    expect(reply.message).toMatch(message);
  });

  it("echoes only an id of the schema's shape: a client's object never comes back", () => {
    expect(refused(JSON.stringify({ id: { big: "x".repeat(1000) }, op: "status", x: 1 })).id).toBeNull();
    expect(refused(JSON.stringify({ id: "x".repeat(129), op: "nope" })).id).toBeNull();
    expect(refused(JSON.stringify({ id: 7, op: "status", x: 1 })).id).toBe(7);
  });

  it.each(["", "[]", "null", "1", '"op"', "[[[[[[[[[[[[]]]]]]]]]]]]", '{"__proto__":{"op":"routes"}}'])(
    "%j is a reply, not a throw",
    (line) => {
      expect(isReply(parseRequest(line))).toBe(true);
    },
  );
});
