import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/daemon/log.js";
import { SpeakerHost } from "../../src/daemon/speaker-host.js";
import { parsePrefix } from "../../src/speaker/prefix.js";

/** A host with no uplink: nothing is sent, but the update schedule runs on real timers. */
function hostWithoutLinks(): SpeakerHost {
  return new SpeakerHost({
    interfaces: [],
    families: { ipv4: false, ipv6: false },
    log: createLogger("silent"),
  });
}

const route = { prefix: parsePrefix("198.51.100.0/24"), metric: 1, tag: 0 };
let host: SpeakerHost | undefined;
afterEach(async () => {
  await host?.stop(false);
  host = undefined;
});

describe("SpeakerHost.updateSent: what the hook op waits for before it forks `ip`", () => {
  it("resolves at once when nothing changed (an idempotent hook up)", async () => {
    host = hostWithoutLinks();
    let done = false;
    void host.updateSent().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(true);
  });

  it("after a change, resolves once its triggered update has gone (here: to no link), not before", async () => {
    host = hostWithoutLinks();
    host.speaker.announce(route, performance.now());
    host.wake();
    let done = false;
    const sent = host.updateSent().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false); // the update is still coalescing
    await sent;
    expect(host.speaker.updatePending).toBe(false);
  });

  it("stop() releases whoever still waits", async () => {
    host = hostWithoutLinks();
    host.speaker.announce(route, performance.now());
    const sent = host.updateSent();
    await host.stop(false);
    host = undefined;
    await expect(sent).resolves.toBeUndefined();
  });
});
