/** Which screen is showing. Kept in the URL hash so Back, reload and links work. */
export type Route =
  | { name: "chats" }
  | { name: "conversation"; id: string }
  | { name: "listings" }
  | { name: "sell" }
  | { name: "new-chat" }
  | { name: "settings" };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  const [head, ...rest] = path.split("/");
  switch (head) {
    case "c":
      return rest[0] ? { name: "conversation", id: decodeURIComponent(rest[0]) } : { name: "chats" };
    case "listings":
      return rest[0] === "new" ? { name: "sell" } : { name: "listings" };
    case "new":
      return { name: "new-chat" };
    case "settings":
      return { name: "settings" };
    default:
      return { name: "chats" };
  }
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case "chats":
      return "#/";
    case "conversation":
      return `#/c/${encodeURIComponent(route.id)}`;
    case "listings":
      return "#/listings";
    case "sell":
      return "#/listings/new";
    case "new-chat":
      return "#/new";
    case "settings":
      return "#/settings";
  }
}
