/** The connection and what depends on it: the status line, the transport menu, the outbox, sessions, the crash screen. */
export default {
  status: {
    online: "Online",
    tooManyTabs: "Courier is open in too many tabs",
    reconnect: "Reconnect",
    unreachable: "Can't reach Courier — retrying…",
    tryNow: "Try now",
    connecting: "Connecting…",
    offline: "You're offline — messages will be sent when you're back online.",
  },
  menu: {
    label: "Connection",
    automatic: "Automatic",
    hint: "How this browser connects",
    forced: "Set by the page address (?{{param}}=)",
  },
  transports: {
    ws: "WebSocket",
    sse: "Server-Sent Events",
    poll: "Long-polling",
  },
  delivery: {
    waiting: "Waiting for a connection",
    waitingShort: "Waiting",
  },
  outbox: {
    expired: "Not sent: it waited too long for a connection.",
    photosGone: "The photos of this message are no longer on this device.",
    noPhotosHere: "Photos can't be sent from here.",
    unsupported: "This message needs a newer version of Courier",
  },
  session: {
    ended: "Your session ended. Please sign in again.",
    offline: "You appear to be offline.",
    signedOutLocally: "Signed out on this device. Courier will end the session on the server once it is reachable.",
    signedOutByAdmin: "An administrator signed this device out. Your unsent messages are kept for your next sign-in.",
    signedOutInOtherTab: "You signed out in another tab.",
  },
  push: {
    permissionTimeout: "Your browser did not answer the request to show notifications. You can turn them on later in Settings, under Notifications on this browser.",
  },
  notice: {
    someone: "Someone",
    yourGroup: "your group",
    recalled: "{{name}} recalled a message",
    deleted: "Message deleted",
  },
  crash: {
    title: "Something went wrong",
    reload: "Reload",
  },
};
