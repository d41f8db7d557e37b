/** Messages from the service worker to a Courier tab (`navigator.serviceWorker` "message" events). */
export type SwToPage = { type: "courier:navigate"; url: string };

export function isSwToPage(data: unknown): data is SwToPage {
  return typeof data === "object" && data !== null && (data as { type?: unknown }).type === "courier:navigate" && typeof (data as { url?: unknown }).url === "string";
}
