#!/usr/bin/env node
// The CLI lives in src/cli; this shim only picks the entry point. `riplet hook up|down` runs while
// QEMU waits to start a VM, so it takes a light path that loads only what a hook needs.
if (process.argv.includes("hook")) {
  const { main } = await import("../dist/src/cli/hook-main.js");
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exit(code);
}
await import("../dist/src/cli/main.js");
