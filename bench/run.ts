import { chatLatency } from "./chat-latency.js";
import { engineStress } from "./engine-stress.js";

/**
 * `npm run bench`: prints the figures as JSON lines. Everything targets
 * 127.0.0.1 only and is bounded in count and time.
 */
const rounds = Number(process.env.BENCH_ROUNDS ?? 200);
const stored = Number(process.env.BENCH_STORED ?? 5000);

console.info(JSON.stringify({ bench: "engine-stress", ...(await engineStress()) }));
console.info(JSON.stringify({ bench: "chat-latency", ...(await chatLatency({ port: 3310, rounds, storedMessages: stored })) }));
