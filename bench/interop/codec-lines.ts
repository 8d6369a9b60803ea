/** The codec figures of `npm run bench`, run as its own process and passed through into this report. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchContext, BenchLine } from "./main.js";

const CODEC = fileURLToPath(new URL("../codec.js", import.meta.url));

export function runCodec(ctx: BenchContext): Promise<void> {
  ctx.progress("codec: npm run bench");
  const args = [CODEC, "--json", ...(ctx.quick ? ["--quick"] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`codec benchmark failed: ${stderr.trim() || error.message}`));
        return;
      }
      for (const line of stdout.split("\n").filter((l) => l.startsWith("{"))) {
        ctx.emit(JSON.parse(line) as BenchLine);
      }
      resolve();
    });
  });
}
