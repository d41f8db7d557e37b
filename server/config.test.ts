import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultNodeId, loadConfig, resolveConfig } from "./config.js";

describe("config", () => {
  it("has defaults for everything", () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: "0.0.0.0",
      dataDir: "./data",
      databaseUrl: null,
      redisUrl: null,
      databasePoolMax: 10,
      webDir: "./dist/web",
      allowedOrigins: [],
      allowedHosts: [],
      timeouts: { headersMs: 10_000, requestMs: 20_000 },
      ringCapacity: 2000,
      heartbeatMs: 25_000,
      pollGraceMs: 5000,
      retry: { baseMs: 2000, stepMs: 2000, maxMs: 30_000, lifetimeMs: 300_000 },
      logLevel: "info",
      trustProxy: false,
      rateLimits: {
        registerPerIp: { limit: 10, windowMs: 60_000 },
        loginPerIp: { limit: 20, windowMs: 60_000 },
        loginPerUsernameIp: { limit: 10, windowMs: 60_000 },
        sendPerUser: { limit: 200, windowMs: 10_000 },
        conversationsPerUser: { limit: 60, windowMs: 3_600_000 },
        membersAddedPerUser: { limit: 500, windowMs: 3_600_000 },
        requestsPerIp: { limit: 1200, windowMs: 60_000 },
        requestsPerUser: { limit: 600, windowMs: 60_000 },
        itemsPerUser: { limit: 30, windowMs: 3_600_000 },
        settingsPerUser: { limit: 120, windowMs: 3_600_000 },
        adminFailuresPerIp: { limit: 20, windowMs: 3_600_000 },
        reportsPerUser: { limit: 20, windowMs: 3_600_000 },
        mediaPerUser: { limit: 300, windowMs: 3_600_000 },
        telemetryPerUser: { limit: 6, windowMs: 60_000 },
        exemptLoopback: true,
      },
      connectionLimits: { perDevice: 10, perUser: 50, pullsInFlight: 4 },
      maxDevicesPerUser: 100,
      recallWindowMs: 120_000,
      push: {
        subject: "mailto:admin@localhost",
        allowHosts: [],
        windowMs: 1500,
        concurrency: 8,
        maxAttempts: 4,
        marketingDailyQuota: 1,
      },
      adminToken: null,
      metricsToken: null,
      media: { store: null, dir: null, maxBytes: 10_485_760, maxPixels: 50_000_000 },
      faultInjection: false,
      nodeId: defaultNodeId(),
      trace: { flushMs: 1000, bufferMax: 50_000, keepMs: 3_600_000 },
      metricsPublishMs: 2000,
    });
  });

  it("names the process by NODE_ID, by default hostname-pid, and refuses a name unsafe in labels and rows", () => {
    expect(loadConfig({ NODE_ID: " web-1.eu:3000 " }).nodeId).toBe("web-1.eu:3000");
    expect(loadConfig({}).nodeId).toBe(`${hostname()}-${process.pid}`.slice(0, 64).replace(/[^A-Za-z0-9._:-]/g, "_"));
    expect(defaultNodeId("my host/äö", 42)).toBe("my_host___-42");
    expect(defaultNodeId("h".repeat(100), 7)).toBe(`${"h".repeat(62)}-7`);
    expect(() => loadConfig({ NODE_ID: "web 1" })).toThrow(/NODE_ID: must be 1 to 64 characters/);
    expect(() => loadConfig({ NODE_ID: "x".repeat(65) })).toThrow(/NODE_ID/);
    expect(() => loadConfig({ NODE_ID: 'a"b' })).toThrow(/NODE_ID/);
  });

  it("publishes the dashboard's snapshot every METRICS_PUBLISH_MS, 0 for never, at most 30 s (the dashboard drops a node silent for a minute)", () => {
    expect(loadConfig({ METRICS_PUBLISH_MS: "500" }).metricsPublishMs).toBe(500);
    expect(loadConfig({ METRICS_PUBLISH_MS: "0" }).metricsPublishMs).toBe(0);
    expect(() => loadConfig({ METRICS_PUBLISH_MS: "60000" })).toThrow(/METRICS_PUBLISH_MS/);
    expect(() => loadConfig({ METRICS_PUBLISH_MS: "2s" })).toThrow(/METRICS_PUBLISH_MS/);
  });

  it("reads the Web Push and admin settings, and refuses bad ones by name", () => {
    const c = loadConfig({
      PUSH_SUBJECT: "https://chat.example.com/contact",
      PUSH_ALLOW_HOSTS: " 127.0.0.1, Push.Internal.Example., [::1] ",
      PUSH_WINDOW_MS: "250",
      PUSH_CONCURRENCY: "2",
      PUSH_MAX_ATTEMPTS: "3",
      MARKETING_DAILY_QUOTA: "0",
      ADMIN_TOKEN: "0123456789abcdef-admin",
    });
    expect(c.push).toEqual({
      subject: "https://chat.example.com/contact",
      allowHosts: ["127.0.0.1", "push.internal.example", "::1"],
      windowMs: 250,
      concurrency: 2,
      maxAttempts: 3,
      marketingDailyQuota: 0,
    });
    expect(c.adminToken).toBe("0123456789abcdef-admin");
    expect(loadConfig({ PUSH_SUBJECT: "mailto:ops@example.com" }).push.subject).toBe("mailto:ops@example.com");
    expect(() => loadConfig({ PUSH_SUBJECT: "ops@example.com" })).toThrow(/PUSH_SUBJECT: must be a mailto: address/);
    expect(() => loadConfig({ PUSH_SUBJECT: "http://example.com" })).toThrow(/PUSH_SUBJECT/);
    expect(() => loadConfig({ PUSH_SUBJECT: "mailto:not an address" })).toThrow(/PUSH_SUBJECT/);
    expect(() => loadConfig({ PUSH_ALLOW_HOSTS: "https://push.example.com" })).toThrow(/PUSH_ALLOW_HOSTS: "https:\/\/push.example.com" is not a host name/);
    expect(() => loadConfig({ PUSH_ALLOW_HOSTS: "127.0.0.1:8443" })).toThrow(/PUSH_ALLOW_HOSTS/);
    expect(() => loadConfig({ PUSH_CONCURRENCY: "0", PUSH_WINDOW_MS: "soon" })).toThrow(/PUSH_WINDOW_MS[\s\S]*PUSH_CONCURRENCY/);
    expect(() => loadConfig({ ADMIN_TOKEN: "short" })).toThrow(/ADMIN_TOKEN: must be 16 to 200 characters/);
    expect(() => loadConfig({ ADMIN_TOKEN: "has a space in it, sixteen+" })).toThrow(/ADMIN_TOKEN/);
  });

  it("reads the rate-limit knobs, the device cap and TRUST_PROXY as a flag or a hop count", () => {
    const c = loadConfig({
      RATE_REGISTER_PER_MIN: "3",
      RATE_LOGIN_PER_MIN: "4",
      RATE_LOGIN_USER_PER_MIN: "5",
      RATE_SEND_PER_10S: "0",
      RATE_CONVERSATIONS_PER_HOUR: "6",
      RATE_MEMBERS_ADDED_PER_HOUR: "8",
      RATE_REQUESTS_PER_IP_PER_MIN: "9",
      RATE_REQUESTS_PER_USER_PER_MIN: "10",
      RATE_ITEMS_PER_HOUR: "11",
      RATE_SETTINGS_PER_HOUR: "12",
      RATE_ADMIN_FAILURES_PER_HOUR: "13",
      RATE_MEDIA_PER_HOUR: "14",
      RATE_REPORTS_PER_HOUR: "15",
      RATE_TELEMETRY_PER_MIN: "16",
      MAX_CONNECTIONS_PER_DEVICE: "2",
      MAX_CONNECTIONS_PER_USER: "3",
      MAX_PULLS_IN_FLIGHT: "1",
      RATE_LIMIT_LOOPBACK: "true",
      MAX_DEVICES_PER_USER: "7",
      RECALL_WINDOW_MS: "5000",
      TRUST_PROXY: "2",
    });
    expect(c.rateLimits).toEqual({
      registerPerIp: { limit: 3, windowMs: 60_000 },
      loginPerIp: { limit: 4, windowMs: 60_000 },
      loginPerUsernameIp: { limit: 5, windowMs: 60_000 },
      sendPerUser: { limit: 0, windowMs: 10_000 },
      conversationsPerUser: { limit: 6, windowMs: 3_600_000 },
      membersAddedPerUser: { limit: 8, windowMs: 3_600_000 },
      requestsPerIp: { limit: 9, windowMs: 60_000 },
      requestsPerUser: { limit: 10, windowMs: 60_000 },
      itemsPerUser: { limit: 11, windowMs: 3_600_000 },
      settingsPerUser: { limit: 12, windowMs: 3_600_000 },
      adminFailuresPerIp: { limit: 13, windowMs: 3_600_000 },
      mediaPerUser: { limit: 14, windowMs: 3_600_000 },
      reportsPerUser: { limit: 15, windowMs: 3_600_000 },
      telemetryPerUser: { limit: 16, windowMs: 60_000 },
      exemptLoopback: false,
    });
    expect(c.connectionLimits).toEqual({ perDevice: 2, perUser: 3, pullsInFlight: 1 });
    expect(() => loadConfig({ MAX_CONNECTIONS_PER_DEVICE: "0" })).toThrow(/MAX_CONNECTIONS_PER_DEVICE/);
    expect(c.maxDevicesPerUser).toBe(7);
    expect(c.recallWindowMs).toBe(5000);
    expect(() => loadConfig({ RECALL_WINDOW_MS: "-1" })).toThrow(/RECALL_WINDOW_MS/);
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
    expect(loadConfig({ ALLOWED_HOSTS: " Chat.Example.COM., 192.168.1.5, [::1] " }).allowedHosts).toEqual(["chat.example.com", "192.168.1.5", "::1"]);
    expect(() => loadConfig({ ALLOWED_HOSTS: "https://chat.example.com" })).toThrow(/ALLOWED_HOSTS/);
    expect(loadConfig({ HEADERS_TIMEOUT_MS: "2000", REQUEST_TIMEOUT_MS: "5000" }).timeouts).toEqual({ headersMs: 2000, requestMs: 5000 });
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

  it("reads the retransmission schedule and its lifetime, which must not be below the base delay", () => {
    const c = loadConfig({ RETRY_BASE_MS: "500", RETRY_STEP_MS: "250", RETRY_MAX_MS: "4000", RETRY_LIFETIME_MS: "60000" });
    expect(c.retry).toEqual({ baseMs: 500, stepMs: 250, maxMs: 4000, lifetimeMs: 60_000 });
    expect(() => loadConfig({ RETRY_LIFETIME_MS: "1500" })).toThrow(/RETRY_LIFETIME_MS: must not be below RETRY_BASE_MS/);
    expect(() => loadConfig({ RETRY_LIFETIME_MS: "999" })).toThrow(/RETRY_LIFETIME_MS/);
    expect(() => loadConfig({ RETRY_LIFETIME_MS: "5 min" })).toThrow(/RETRY_LIFETIME_MS/);
  });

  it("links processes by a redis:// REDIS_URL, sizes the PostgreSQL pool, and refuses anything else", () => {
    expect(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379/0" }).redisUrl).toBe("redis://127.0.0.1:6379/0");
    expect(loadConfig({ REDIS_URL: "rediss://user:pw@redis.example:6380" }).redisUrl).toBe("rediss://user:pw@redis.example:6380");
    expect(loadConfig({ REDIS_URL: "" }).redisUrl).toBeNull();
    expect(() => loadConfig({ REDIS_URL: "http://127.0.0.1:6379" })).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(loadConfig({ DATABASE_POOL_MAX: "25" }).databasePoolMax).toBe(25);
    expect(() => loadConfig({ DATABASE_POOL_MAX: "0" })).toThrow(/DATABASE_POOL_MAX/);
  });

  it("selects PostgreSQL by a postgres:// DATABASE_URL and refuses any other URL", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@localhost/courier" }).databaseUrl).toBe("postgres://u:p@localhost/courier");
    expect(loadConfig({ DATABASE_URL: "" }).databaseUrl).toBeNull();
    expect(() => loadConfig({ DATABASE_URL: "mysql://u:p@localhost/courier" })).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
  });

  it("reads the photo settings; a folder store across processes needs MEDIA_DIR to say it is shared", () => {
    const c = loadConfig({ MEDIA_STORE: "database", MEDIA_DIR: "/srv/photos", MEDIA_MAX_BYTES: "2048", MEDIA_MAX_PIXELS: "1000000" });
    expect(c.media).toEqual({ store: "database", dir: "/srv/photos", maxBytes: 2048, maxPixels: 1_000_000 });
    expect(() => loadConfig({ MEDIA_STORE: "s3" })).toThrow(/MEDIA_STORE/);
    expect(() => loadConfig({ MEDIA_MAX_BYTES: "10MB" })).toThrow(/MEDIA_MAX_BYTES/);
    expect(() => loadConfig({ MEDIA_MAX_PIXELS: "0" })).toThrow(/MEDIA_MAX_PIXELS/);
    const cluster = { DATABASE_URL: "postgres://u:p@db/courier", REDIS_URL: "redis://redis:6379" };
    // With DATABASE_URL the database holds photos by itself; a folder must be said to be shared.
    expect(loadConfig(cluster).media.store).toBeNull();
    expect(() => loadConfig({ ...cluster, MEDIA_STORE: "file" })).toThrow(/MEDIA_STORE: file with several processes \(REDIS_URL\) needs MEDIA_DIR/);
    expect(loadConfig({ ...cluster, MEDIA_STORE: "file", MEDIA_DIR: "/mnt/shared/photos" }).media.dir).toBe("/mnt/shared/photos");
  });

  it("lets callers override, e.g. tests", () => {
    expect(resolveConfig({ ringCapacity: 5, allowedOrigins: ["https://x.example/"] }, {})).toMatchObject({
      ringCapacity: 5,
      allowedOrigins: ["https://x.example"],
    });
  });
});
