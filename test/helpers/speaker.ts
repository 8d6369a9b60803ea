/** A Speaker on one uplink, eth0, with RIPv2 (given auth) and RIPng on, a fixed clock and randomness. */
import { Speaker, type SpeakerOptions } from "../../src/speaker/speaker.js";
import type { AuthConfig } from "../../src/speaker/types.js";

export function speakerOnEth0(
  auth: AuthConfig = { mode: "none" },
  overrides: Partial<SpeakerOptions> = {},
  now = 0,
): Speaker {
  return new Speaker(
    {
      interfaces: [
        {
          name: "eth0",
          ipv4: { auth, neighbors: [], multicast: true },
          ipv6: { neighbors: [], multicast: true },
        },
      ],
      random: () => 0.5,
      unixSeconds: () => 1_800_000_000,
      ...overrides,
    },
    now,
  );
}
