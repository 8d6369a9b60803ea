/** The interop lab: namespaces, FRR and BIRD gateways, riplet children, and what they see. */
export * from "./attacker.js";
export * from "./bird.js";
export * from "./confine.js";
export * from "./counters.js";
export * from "./forge.js";
export * from "./frr.js";
export * from "./gateway.js";
export * from "./kernel.js";
export * from "./lab.js";
export * from "./libvirt.js";
export * from "./preflight.js";
export * from "./proc.js";
export * from "./qemu.js";
export * from "./requester.js";
export * from "./riplet.js";
export * from "./topology.js";
export * from "./wait.js";
