import { STATUS_CODES, type OutgoingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type { ErrorCode, ErrorInfo } from "../../shared/protocol/index.js";
import { ERROR_STATUS } from "../../shared/protocol/index.js";
import type { HostPolicy } from "./origin.js";
import { securityHeaders } from "./security-headers.js";

/**
 * What Node's parser refuses before any request exists (a head or body that
 * did not arrive within the timeouts, headers too large, bytes that are not
 * HTTP), answered in Courier's error shape with the security headers, like
 * every other answer. There is no request to read a Host from, so the CSP is
 * the host-less one.
 */
function refusalFor(code: string | undefined): ErrorInfo {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { code: "timeout", message: "The request did not arrive in time; send it again." };
    case "HPE_HEADER_OVERFLOW":
      return { code: "too_large", message: "Request headers are too large." };
    default:
      return { code: "bad_request", message: "Malformed HTTP request." };
  }
}

export function clientErrorHandler(policy: HostPolicy) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    // A reset connection has nobody left to answer.
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    if (socket.writable) {
      const info = refusalFor(err.code);
      const status = ERROR_STATUS[info.code satisfies ErrorCode];
      const body = JSON.stringify({ error: info });
      const headers: OutgoingHttpHeaders = {
        ...securityHeaders(null, policy),
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        connection: "close",
      };
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`);
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join("\r\n")}\r\n\r\n${body}`);
    }
    socket.destroy(err);
  };
}
