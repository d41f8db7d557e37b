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
      pollGraceMs: 5000,
      retry: { baseMs: 2000, stepMs: 2000, maxMs: 30_000 },
      logLevel: "info",
      trustProxy: false,
      rateLimits: {
        registerPerIp: { limit: 10, windowMs: 60_000 },
        loginPerIp: { limit: 20, windowMs: 60_000 },
        loginPerUsername: { limit: 10, windowMs: 60_000 },
        sendPerUser: { limit: 200, windowMs: 10_000 },
        exemptLoopback: true,
      },
      maxDevicesPerUser: 100,
    });
  });

  it("reads the rate-limit knobs, the device cap and TRUST_PROXY as a flag or a hop count", () => {
    const c = loadConfig({
      RATE_REGISTER_PER_MIN: "3",
      RATE_LOGIN_PER_MIN: "4",
      RATE_LOGIN_USER_PER_MIN: "5",
      RATE_SEND_PER_10S: "0",
      RATE_LIMIT_LOOPBACK: "true",
      MAX_DEVICES_PER_USER: "7",
      TRUST_PROXY: "2",
    });
    expect(c.rateLimits).toEqual({
      registerPerIp: { limit: 3, windowMs: 60_000 },
      loginPerIp: { limit: 4, windowMs: 60_000 },
      loginPerUsername: { limit: 5, windowMs: 60_000 },
      sendPerUser: { limit: 0, windowMs: 10_000 },
      exemptLoopback: false,
    });
    expect(c.maxDevicesPerUser).toBe(7);
    expect(c.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "0" }).trustProxy).toBe(false);
    expect(() => loadConfig({ TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ RATE_SEND_PER_10S: "-1", MAX_DEVICES_PER_USER: "0" })).toThrow(/RATE_SEND_PER_10S[\s\S]*MAX_DEVICES_PER_USER/);
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
