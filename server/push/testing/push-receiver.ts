import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A push service for tests: an HTTPS server on 127.0.0.1 with a throwaway
 * self-signed certificate (made with the openssl CLI into a temp folder),
 * recording every request. The server under test trusts it only through the
 * `agent` handed to its push sender, never through a global TLS setting.
 */

export interface ReceivedPush {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export interface PushReceiver {
  origin: string;
  /** An endpoint URL on this receiver. */
  endpoint(pathname: string): string;
  /** Every request so far, in arrival order. */
  received: ReceivedPush[];
  /** Requests to one path. */
  to(pathname: string): ReceivedPush[];
  /** Answers for a path, used in order (the last one repeats); default 201. */
  answer(pathname: string, ...answers: Answer[]): void;
  /** An agent that trusts this receiver's certificate (and nothing else). */
  agent: https.Agent;
  /** The certificate (PEM), for a server in another process: NODE_EXTRA_CA_CERTS. */
  cert: string;
  close(): Promise<void>;
}

function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "courier-push-cert-"));
  try {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPushReceiver(): Promise<PushReceiver> {
  const { key, cert } = selfSignedCert();
  const received: ReceivedPush[] = [];
  const answers = new Map<string, Answer[]>();
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const pathname = req.url ?? "/";
      received.push({ path: pathname, headers: req.headers, body: Buffer.concat(chunks) });
      const queue = answers.get(pathname) ?? [];
      const answer = (queue.length > 1 ? queue.shift() : queue[0]) ?? { status: 201 };
      res.writeHead(answer.status, answer.headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new https.Agent({ ca: cert, keepAlive: true });
  return {
    origin,
    endpoint: (pathname) => `${origin}${pathname}`,
    received,
    to: (pathname) => received.filter((r) => r.path === pathname),
    answer: (pathname, ...list) => answers.set(pathname, list),
    agent,
    cert,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
