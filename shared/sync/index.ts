export * from "./types.js";
export * from "./consumers.js";
export * from "./domain-buffer.js";
export * from "./engine.js";
