/**
 * Photo uploads: time and the server's memory for a ~10 MB JPEG
 * (docs/benchmarks.md "Photos"). Starts a real server (SQLite in a temporary
 * DATA_DIR) as a child process, uploads the same photo `--uploads` times one
 * after another over HTTP, and reads the server's resident memory from
 * /proc: VmRSS before, and the peak (VmHWM) before the first upload and
 * after the last.
 *
 *   node --import tsx bench/media-upload.ts [--store=file|database] [--uploads=5] [--parallel=1] [--kind=photo|garbage]
 *
 * Loopback only; bounded in count; stops the server it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const store = arg("store", "file");
const uploads = Number(arg("uploads", "5"));
const parallel = Number(arg("parallel", "1"));
/** photo: a real 24-megapixel JPEG; garbage: ~10 MB that starts like a JPEG and is not one (streamed to disk, then refused 415): the upload path without the decoder. */
const kind = arg("kind", "photo");

/** A 24-megapixel JPEG of noise, about 10 MB: what a phone's camera hands over, at its worst for the encoder. */
async function bigJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 6000, height: 4000, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: "gaussian", mean: 128, sigma: 16 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function memory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

async function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/server.ts"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir, WEB_DIR: path.join(dir, "no-web"), MEDIA_STORE: store, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Courier listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "courier-bench-media-"));
  const photo = kind === "garbage" ? Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(10_000_000, 0x41)]) : await bigJpeg();
  const { child, url } = await startServer(dir);
  try {
    const reg = await fetch(`${url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bench", password: "correct horse battery", displayName: "Bench" }),
    });
    const { token } = (await reg.json()) as { token: string };
    const before = memory(child.pid!);
    const times: number[] = [];
    const one = async () => {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(photo)], { type: "image/jpeg" }), "photo.jpg");
      const started = performance.now();
      const res = await fetch(`${url}/api/media`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
      const body = (await res.json()) as { media?: { bytes: number; width: number; height: number } };
      times.push(performance.now() - started);
      if (res.status !== (kind === "garbage" ? 415 : 201)) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
      return body.media!;
    };
    let stored = null;
    for (let done = 0; done < uploads; done += parallel) stored = (await Promise.all(Array.from({ length: Math.min(parallel, uploads - done) }, one)))[0];
    const after = memory(child.pid!);
    times.sort((a, b) => a - b);
    console.info(
      JSON.stringify(
        {
          store,
          kind,
          uploads,
          parallel,
          uploadMb: +(photo.length / 1e6).toFixed(2),
          stored: stored && { mb: +(stored.bytes / 1e6).toFixed(2), width: stored.width, height: stored.height },
          msMedian: Math.round(times[Math.floor(times.length / 2)]!),
          msMax: Math.round(times.at(-1)!),
          rssBeforeMb: Math.round(before.rssMb),
          peakBeforeMb: Math.round(before.peakMb),
          peakAfterMb: Math.round(after.peakMb),
          peakIncreaseMb: Math.round(after.peakMb - before.peakMb),
          rssAfterMb: Math.round(after.rssMb),
        },
        null,
        2,
      ),
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
