/**
 * The `handover` control op (`riplet daemon --replace`, issue 16): its request and reply have one
 * schema each, shared by the daemon and the new daemon that asks; a daemon that cannot hand over says
 * so instead of exiting. The exit itself, and the gateway seeing no gap, are in
 * interop/test/restart-gapless.test.ts.
 */
import { describe, expect, it } from "vitest";
import { isReply, parseRequest } from "../../src/control/protocol.js";
import { parseReply } from "../../src/control/replies.js";
import { parseConfigText } from "../../src/daemon/config.js";
import { ControlOps, type ControlOpsDeps } from "../../src/daemon/control-ops.js";
import { createLogger } from "../../src/daemon/log.js";
import { routeStoreOnEth0 } from "../helpers/route-store.js";
import { speakerOnEth0 } from "../helpers/speaker.js";

function ops(handover?: ControlOpsDeps["handover"]) {
  const config = parseConfigText("interfaces: [{ name: eth0 }]\n", "riplet.yaml", () => "");
  const speaker = speakerOnEth0();
  const { store: routes, gate } = routeStoreOnEth0({ speaker });
  const controlOps = new ControlOps({
    log: createLogger("silent"),
    config: () => config,
    policy: () => ({ allowDefault: false, allowCommandChecks: false }),
    speaker: () => speaker,
    gate: () => gate,
    routes,
    changed: () => {},
    wake: () => {},
    updateSent: async () => {},
    persist: async () => {},
    reload: async (id) => ({ id, ok: true }),
    guests: { check: () => {}, up: async () => {}, down: async () => {}, report: () => [] },
    ...(handover ? { handover } : {}),
  });
  return { controlOps, stop: () => gate.stop() };
}

describe("handover request", () => {
  it("is an op of its own with nothing but an id", () => {
    expect(parseRequest('{"id":1,"op":"handover"}')).toEqual({ id: 1, op: "handover" });
    const extra = parseRequest('{"id":1,"op":"handover","pid":5}');
    expect(isReply(extra) && !extra.ok && extra.error.code).toBe("BAD_REQUEST");
  });
});

describe("handover reply", () => {
  it("carries the old daemon's pid, which the new one waits on", () => {
    expect(parseReply("handover", { id: 1, ok: true, pid: 4242 })).toEqual({
      reply: { id: 1, ok: true, pid: 4242 },
    });
    const without = parseReply("handover", { id: 1, ok: true });
    expect("mismatch" in without && without.mismatch).toMatch(/\(pid: /);
  });

  it("the daemon's reply passes the schema unchanged; the handover is announced once", async () => {
    let asked = 0;
    const { controlOps, stop } = ops(async (id) => {
      asked++;
      return { id, ok: true, pid: 99 };
    });
    try {
      const reply = JSON.parse(JSON.stringify(await controlOps.handle({ id: "h", op: "handover" })));
      expect(parseReply("handover", reply)).toEqual({ reply: { id: "h", ok: true, pid: 99 } });
      expect(asked).toBe(1);
    } finally {
      stop();
    }
  });

  it("ControlOps without a daemon behind it refuses, in the error schema", async () => {
    const { controlOps, stop } = ops();
    try {
      const reply = await controlOps.handle({ id: 2, op: "handover" });
      expect(reply).toMatchObject({
        ok: false,
        error: { message: expect.stringMatching(/cannot hand over/) },
      });
      expect("reply" in parseReply("handover", reply)).toBe(true);
    } finally {
      stop();
    }
  });
});
