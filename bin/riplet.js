#!/usr/bin/env node
// The CLI lives in src/cli; this shim only loads the compiled entry point.
await import("../dist/src/cli/main.js");
