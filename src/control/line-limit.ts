/**
 * The control socket's one limit on a request line (SPEC §4), in a module of its own: the server
 * enforces it, and `riplet announce` / `withdraw` cut their batches under it without loading the
 * request schemas (protocol.ts) at start-up.
 */

/** A line longer than this is refused and the connection closed: a client cannot exhaust memory. */
export const MAX_LINE_BYTES = 64 * 1024;
