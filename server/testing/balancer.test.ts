import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Balancer } from "./balancer.js";
import { freePort } from "./server-process.js";

/** A backend that answers every chunk with its name and the chunk. */
async function backend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("data", (chunk) => s.write(`${name}:${chunk.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects, sends `text`, resolves with the first answer (or "closed" / "refused"). */
function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    socket.once("data", (chunk) => {
      socket.destroy();
      resolve(chunk.toString());
    });
    socket.once("close", () => resolve("closed"));
    socket.once("error", () => resolve("refused"));
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const [one, two] = await Promise.all([backend("one"), backend("two")]);
  const balancer = new Balancer([one.port, two.port]);
  cleanups.push(one.close, two.close, () => balancer.stop());
  return { one, two, balancer };
}

describe("test balancer", () => {
  it("sends each connection to the listener's preferred backend, and past one that refuses to the next", async () => {
    const { one, balancer } = await setup();
    const first = await balancer.listen({ prefer: [0, 1] });
    const second = await balancer.listen({ prefer: [1, 0] });
    expect(await ask(first.port, "a")).toBe("one:a");
    expect(await ask(second.port, "b")).toBe("two:b");
    await one.close();
    expect(await ask(first.port, "c")).toBe("two:c");
    expect(first.handed).toEqual([1, 1]);
  });

  it("deals connections round robin without a preference, and closes the client when no backend answers", async () => {
    const { balancer } = await setup();
    const any = await balancer.listen();
    expect([await ask(any.port, "1"), await ask(any.port, "2"), await ask(any.port, "3")]).toEqual(["one:1", "two:2", "one:3"]);
    const nowhere = new Balancer([await freePort()]);
    cleanups.push(() => nowhere.stop());
    expect(await ask((await nowhere.listen()).port, "x")).toBe("closed");
  });

  it("cuts live connections, all or those to one backend", async () => {
    const { balancer } = await setup();
    const any = await balancer.listen();
    const sockets = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(any.port, "127.0.0.1", () => s.write("hi"));
            s.once("data", () => resolve(s));
          }),
      ),
    );
    const closed = sockets.map((s) => new Promise<void>((resolve) => s.once("close", () => resolve())));
    expect(any.live()).toEqual([2, 1]);
    expect(any.cut(1)).toBe(1);
    await closed[1];
    expect(any.live()).toEqual([2, 0]);
    expect(balancer.cut()).toBe(2);
    await Promise.all(closed);
  });

  it("answers 502 for requests to a failing path and passes the rest", async () => {
    const { balancer } = await setup();
    const front = await balancer.listen({ prefer: [0, 1] });
    front.failRequests(/^\/api\/poll\b/);
    expect(await ask(front.port, "GET /api/poll?cursor=1 HTTP/1.1\r\nhost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(await ask(front.port, "GET /api/stream HTTP/1.1\r\nhost: x\r\n\r\n")).toMatch(/^one:GET \/api\/stream/);
    expect(front.failed).toBe(1);
    front.failRequests(null);
    expect(await ask(front.port, "GET /api/poll HTTP/1.1\r\n\r\n")).toMatch(/^one:/);
  });

  it("holds answers while stalled: resume delivers them, the backend going first loses them", async () => {
    const { one, balancer } = await setup();
    const front = await balancer.listen({ prefer: [0, 1] });
    front.stall();
    const answered = ask(front.port, "held");
    await new Promise((r) => setTimeout(r, 50));
    front.resume();
    expect(await answered).toBe("one:held");

    front.stall();
    const lost = ask(front.port, "lost");
    await new Promise((r) => setTimeout(r, 50));
    await one.close();
    expect(await lost).toBe("closed");
  });
});
