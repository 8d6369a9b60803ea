#!/usr/bin/env -S node --max-semi-space-size=1
// The V8 option caps the young generation for the long-running daemon (src/daemon/node-options.ts
// says why, and host/hook.ts gives the same to the daemon it starts); a short command does not notice.
// The CLI lives in src/cli; this shim only picks the entry point. `riplet hook up|down` runs while
// QEMU waits to start a VM, so it takes a light path that loads only what a hook needs.
if (process.argv.includes("hook")) {
  const { main } = await import("../dist/src/cli/hook-main.js");
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exit(code);
}
await import("../dist/src/cli/main.js");
