import type { BenchContext } from "./main.js";
export async function runFanIn(_ctx: BenchContext): Promise<void> {}
