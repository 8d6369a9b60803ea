/**
 * "No gap": the gateway's kernel polled every 50 ms through a restart, an upgrade or a handover, with
 * every poll that missed any of the routes counted (issue 16). A slow machine polls less often than
 * asked, so the slowest poll is reported beside the count.
 */
import { kernelHasAll } from "./kernel.js";
import { sleep } from "./proc.js";
import type { PairLab } from "./topology.js";

const POLL_MS = 50;

/** Pollers still running: a failed test stops them before its lab goes. */
const watching = new Set<() => void>();

/** Polls the gateway's kernel every POLL_MS until stopped; counts polls that missed any route. */
export function watchGateway(pair: PairLab, prefixes: string[]) {
  let running = true;
  const stop = () => {
    running = false;
  };
  watching.add(stop);
  let polls = 0;
  let missed = 0;
  let run = 0;
  let longestRun = 0;
  /** From the first poll that missed a route to the next that found them all (the gap's upper bound). */
  let gapSince: number | undefined;
  let longestGapMs = 0;
  /** The longest time between two polls' answers: a slow machine polls less often than asked. */
  let slowestPollMs = 0;
  const loop = (async () => {
    let last = performance.now();
    for (let next = last; running; next += POLL_MS) {
      const present = await kernelHasAll(pair.lab, pair.gw.ns, prefixes);
      slowestPollMs = Math.max(slowestPollMs, Math.round(performance.now() - last));
      last = performance.now();
      polls++;
      run = present ? 0 : run + 1;
      if (!present) missed++;
      if (!present) gapSince ??= last;
      if (present && gapSince !== undefined) {
        longestGapMs = Math.max(longestGapMs, Math.round(last - gapSince));
        gapSince = undefined;
      }
      longestRun = Math.max(longestRun, run);
      await sleep(Math.max(0, next + POLL_MS - performance.now()));
    }
  })();
  return async () => {
    stop();
    watching.delete(stop);
    await loop;
    if (gapSince !== undefined)
      longestGapMs = Math.max(longestGapMs, Math.round(performance.now() - gapSince));
    return { polls, missed, longestGapPolls: longestRun, longestGapMs, slowestPollMs };
  };
}

/** Stops every poller still running (a failed test's), and lets a poll in flight end. */
export async function stopWatching(): Promise<void> {
  for (const stop of watching) stop();
  watching.clear();
  await sleep(200);
}
