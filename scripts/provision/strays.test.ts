import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive } from "./system.js";
import { stopStrays, straysOf } from "./strays.js";

/** A process in a group of its own (as Playwright starts its webServers), with or without the marker. */
function spawnDetached(env: Record<string, string>): number {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore", env: { ...process.env, ...env } });
  child.unref();
  return child.pid!;
}

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already stopped
    }
  }
});

describe.skipIf(process.platform !== "linux")("stray processes of a stopped command", () => {
  it("finds and stops only the processes carrying this run's marker, in their own process groups", async () => {
    const marker = `COURIER_TEST_RUN=${randomUUID()}`;
    const [name, value] = marker.split("=") as [string, string];
    const ours = spawnDetached({ [name]: value });
    const another = spawnDetached({ [name]: `${value}-another-run` });
    started.push(ours, another);
    // The child has exec'd node by the time its environ reads back.
    await expect.poll(() => straysOf(marker)).toEqual([ours]);

    // Reported to the test, not as `test: stopped …` in the run's own log, where it would read as a real leftover.
    const reports: string[] = [];
    expect(stopStrays(marker, 2_000, (line) => reports.push(line))).toBe(1);
    expect(reports).toEqual([expect.stringMatching(/^stopped 1 process the command left running: .*setInterval/)]);
    expect(isAlive(ours)).toBe(false);
    expect(isAlive(another)).toBe(true);
    expect(straysOf(marker)).toEqual([]);
    expect(stopStrays(marker)).toBe(0);
  });
});
