import type { BenchContext } from "./main.js";
export async function runScale(_ctx: BenchContext): Promise<void> {}
