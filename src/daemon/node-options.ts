/**
 * The V8 options the daemon runs with (issue 15). `--max-semi-space-size=1` caps V8's young
 * generation at 2 × 1 MiB instead of letting it grow to 2 × 16 MiB: a daemon holding 20,000 routes
 * keeps most of those 32 MiB resident although the young objects in them die young (a periodic
 * update's packets, a control request's reply). Measured here side by side (3 runs each): idle
 * 62 MiB against 65-67; 20,000 routes 83-86 MiB 10 s after start against 108-110, and 74-75 after
 * 60 s against 76-110 (without the cap, when V8 gives the young generation back varies); CPU per
 * periodic update of 20,000 routes 66 ms against 62-77 (noise); 2 and 4 MiB saved less when idle.
 *
 * A V8 heap's size is fixed when the process starts (v8.setFlagsFromString at run time does not
 * resize it), and re-spawning node would cost a second start-up and a second PID under systemd, so
 * the option is given where node starts: bin/riplet.js's sh prologue, which execs node with it when
 * the command is `daemon` (by hand, the systemd unit's ExecStart, any PATH install), and the hook's
 * detached daemon (host/hook.ts, which runs process.execPath). Only there: every other command ran
 * ~10 ms (CPU) slower with it, measured side by side (issue 16; --trace-gc shows one more
 * scavenge, which does not explain all of it). Kept here, apart from both, so a test can hold them
 * to one value.
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ["--max-semi-space-size=1"];
