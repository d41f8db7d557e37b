// What one round trip between two processes costs on this machine (issue 16, PGTRIPS):
// `node --import tsx bench/tools/loopback-round-trip.ts`, env ROUNDS (3), TRIPS (5000).
// A child process echoes one byte over loopback TCP (no Nagle); the parent sends the next byte when the echo arrives.
// Each trip wakes the other process twice: it is the floor under every statement Courier sends PostgreSQL and waits
// for. Prints the time and the parent's own CPU per round trip (the write that wakes the child and the wake-up it
// gets back), per round. Compare machines with it: on this VM it is what makes PostgreSQL's round trips expensive.
import { fork } from "node:child_process";
import net from "node:net";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TRIPS = Number(process.env.TRIPS ?? 5000);

if (process.argv[2] === "echo") {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (chunk) => socket.write(chunk));
  });
  server.listen(0, "127.0.0.1", () => process.send!((server.address() as net.AddressInfo).port));
} else {
  const child = fork(process.argv[1]!, ["echo"], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(m as number)));
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const trips = (n: number) =>
    new Promise<void>((resolve) => {
      let left = n;
      const onData = () => {
        if (--left === 0) {
          socket.off("data", onData);
          resolve();
        } else socket.write("x");
      };
      socket.on("data", onData);
      socket.write("x");
    });
  await trips(500); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await trips(TRIPS);
    const us = ((performance.now() - started) * 1000) / TRIPS;
    const used = process.cpuUsage(cpu);
    console.info(`round ${round}: ${us.toFixed(1)} µs per round trip, the sender's CPU ${((used.user + used.system) / TRIPS).toFixed(1)} µs (system ${(used.system / TRIPS).toFixed(1)})`);
  }
  socket.destroy();
  child.kill();
}
