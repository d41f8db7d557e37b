import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, resolveConfig } from "./config.js";

describe("config", () => {
  it("has defaults for everything", () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: "0.0.0.0",
      dataDir: "./data",
      webDir: "./dist/web",
      allowedOrigins: [],
      ringCapacity: 2000,
      heartbeatMs: 25_000,
      retry: { baseMs: 2000, stepMs: 2000, maxMs: 30_000 },
      logLevel: "info",
      trustProxy: false,
    });
  });

  it("reads and normalises the environment", () => {
    const c = loadConfig({
      PORT: "8080",
      ALLOWED_ORIGINS: "https://a.example.com/, http://localhost:5173",
      RING_CAPACITY: "50",
      LOG_LEVEL: "warn",
      DATABASE_URL: "",
    });
    expect(c.port).toBe(8080);
    expect(c.allowedOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    expect(c.ringCapacity).toBe(50);
    expect(c.logLevel).toBe("warn");
  });

  it("fails clearly on bad values, naming each variable", () => {
    const bad = () => loadConfig({ PORT: "eighty", RING_CAPACITY: "0", ALLOWED_ORIGINS: "not a url", LOG_LEVEL: "loud" });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/PORT/);
    expect(bad).toThrow(/RING_CAPACITY/);
    expect(bad).toThrow(/ALLOWED_ORIGINS/);
    expect(bad).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ RETRY_BASE_MS: "5000", RETRY_MAX_MS: "1000" })).toThrow(/RETRY_MAX_MS/);
  });

  it("refuses PostgreSQL until it exists", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://u:p@localhost/courier" })).toThrow(/PostgreSQL storage is not available yet/);
  });

  it("lets callers override, e.g. tests", () => {
    expect(resolveConfig({ ringCapacity: 5, allowedOrigins: ["https://x.example/"] }, {})).toMatchObject({
      ringCapacity: 5,
      allowedOrigins: ["https://x.example"],
    });
  });
});
