/** Worker entry of parseTextIsolated (config-text.ts): parses, replies, wakes the waiting thread. */
import { type MessagePort, workerData } from "node:worker_threads";
import { type Parsed, parseText } from "./config-text.js";

const { text, done, port } = workerData as { text: string; done: Int32Array; port: MessagePort };
let reply: Parsed;
try {
  reply = parseText(text);
} catch (error) {
  reply = { ok: false, fault: { line: 1, message: (error as Error).message } };
}
port.postMessage(reply);
Atomics.store(done, 0, 1);
Atomics.notify(done, 0);
port.close();
