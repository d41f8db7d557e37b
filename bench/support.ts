import { existsSync } from "node:fs";
import { ServerProcess } from "../server/testing/server-process.js";

/** A real Courier server in a child process on 127.0.0.1 with a fresh data directory (needs the built web app). */
export async function startServer(port: number, env: Record<string, string> = {}): Promise<ServerProcess> {
  if (!existsSync("dist/web/index.html")) throw new Error("build the web app first: npm run build");
  return ServerProcess.start({ port, env });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(values: number[]): { n: number; median: number; p95: number; max: number } {
  return {
    n: values.length,
    median: percentile(values, 50),
    p95: percentile(values, 95),
    max: Math.max(...values),
  };
}

export const chromiumPath =
  process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
export const chromiumArgs = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** HTTP client for seeding: Bearer token, JSON. */
export class ApiClient {
  constructor(
    readonly url: string,
    public token = "",
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
