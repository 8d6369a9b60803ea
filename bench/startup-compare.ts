/**
 * CLI start-up of several riplet builds side by side (issue 16: before and after a change), as
 * bench/startup.ts times one: each command of each build from spawn to exit, all interleaved with
 * `node -e 0` in every round (node, version of build 1, of build 2, …, routes of build 1, …), against
 * one daemon (the real one in a network namespace as root, else the fake control socket), so a busy
 * machine slows every build alike. Prints one line per command: each build's median and ratio to
 * node's, then the last build's median over the first's.
 *
 *   node dist/bench/startup-compare.js [--rounds 21] BIN BIN...
 *
 * BIN is a riplet bin/riplet.js of a built tree (npm run build), run as a program as startup.ts runs it.
 */
import { type Case, commandCases, measure, NODE_CASE, summary } from "./startup.js";
import { startBenchDaemon } from "./startup-daemon.js";

function parseArgs(argv: string[]): { rounds: number; bins: string[] } {
  const options = { rounds: 21, bins: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--rounds") options.rounds = Number(argv[++i]);
    else options.bins.push(argv[i]!);
  }
  if (options.bins.length < 2 || !(options.rounds > 0)) {
    process.stderr.write(
      "usage: node dist/bench/startup-compare.js [--rounds N] BIN BIN... (two builds or more)\n",
    );
    process.exit(2);
  }
  return options;
}

const { rounds, bins } = parseArgs(process.argv.slice(2));
const daemon = await startBenchDaemon();
try {
  const perBin = bins.map((bin) => commandCases(daemon.socket, bin));
  // interleaved command by command, so a build's figure and the next build's are taken moments apart
  const list: Case[] = [
    NODE_CASE,
    ...perBin[0]!.flatMap((c, i) => perBin.map((cases, b) => ({ ...cases[i]!, name: `${c.name}#${b}` }))),
  ];
  const times = await measure(list, rounds);
  const node = summary("node", times.get("node")!).value;
  process.stdout.write(`against a ${daemon.kind}; ${rounds} rounds; node -e 0 median ${node} ms\n`);
  for (const [b, bin] of bins.entries()) process.stdout.write(`build ${b + 1}: ${bin}\n`);
  for (const c of perBin[0]!) {
    const medians = bins.map((_, b) => summary(c.name, times.get(`${c.name}#${b}`)!).value);
    const cells = medians.map((ms) => `${ms.toFixed(1)} ms (${(ms / node).toFixed(2)}×)`);
    const last = (medians[medians.length - 1]! / medians[0]!).toFixed(2);
    process.stdout.write(`${c.name.padEnd(10)} ${cells.join("  ")}  last/first ${last}\n`);
  }
} finally {
  await daemon.close();
}
