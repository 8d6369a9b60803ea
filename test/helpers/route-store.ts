/**
 * The daemon's route side without a daemon: a Speaker (by default on eth0, RIPv2 only), the route
 * store and the gate that decides what of it goes on the wire, wired as daemon.ts wires them, with
 * the clock passed in. Call `gate.stop()` after the test (its maintenance poll and checks run timers).
 */
import { Gate } from "../../src/daemon/gate.js";
import { createLogger } from "../../src/daemon/log.js";
import { RouteStore } from "../../src/daemon/route-store.js";
import { Speaker } from "../../src/speaker/speaker.js";

export function routeStoreOnEth0(
  options: { now?: () => number; maintenanceFile?: string; speaker?: Speaker } = {},
) {
  const now = options.now ?? (() => 0);
  const speaker =
    options.speaker ??
    new Speaker(
      {
        interfaces: [{ name: "eth0", ipv4: { auth: { mode: "none" }, neighbors: [], multicast: true } }],
        random: () => 0.5,
        unixSeconds: () => 1_800_000_000,
      },
      0,
    );
  const store: RouteStore = new RouteStore({ gate: () => gate, table: () => speaker.table });
  const gate: Gate = new Gate(
    store,
    {
      announce: (spec) => speaker.announce(spec, now()),
      withdraw: (prefix) => speaker.withdraw(prefix, now()),
      withdrawAll: () => speaker.withdrawAll(now()),
      changed: () => {},
    },
    createLogger("silent"),
    options.maintenanceFile,
  );
  return { speaker, store, gate };
}
