/**
 * A tiny benchmark harness: each case runs for a fixed time in several rounds and reports the median
 * rate, so one noisy round on a shared machine does not decide the figure.
 */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  rounds: number;
  min: number;
  max: number;
}

export interface BenchCase {
  name: string;
  unit: string;
  /** Work units (RTEs, packets) one call of fn does. */
  unitsPerCall: number;
  fn: () => unknown;
}

let sink: unknown;

function rate(c: BenchCase, roundMs: number): number {
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(roundMs * 1e6);
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 100; i++) sink = c.fn();
    calls += 100;
    now = process.hrtime.bigint();
  }
  return (calls * c.unitsPerCall) / (Number(now - start) / 1e9);
}

export function run(c: BenchCase, rounds: number, roundMs: number): BenchResult {
  rate(c, roundMs); // warm-up: let the JIT settle before anything is recorded
  const rates = Array.from({ length: rounds }, () => rate(c, roundMs)).sort((a, b) => a - b);
  return {
    name: c.name,
    unit: c.unit,
    value: Math.round(rates[Math.floor(rates.length / 2)]!),
    rounds,
    min: Math.round(rates[0]!),
    max: Math.round(rates[rates.length - 1]!),
  };
}

export function keepAlive(): unknown {
  return sink;
}
