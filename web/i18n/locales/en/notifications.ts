/** The notifications offer in a conversation, and what turning them on can answer (web/features/notifications). */
export default {
  offer: {
    label: "Notifications",
    /** The offer's line above a conversation (made in conversations/summary-text.ts notifyHeadline). */
    direct: "Get notified when {{name}} writes",
    group: "Get notified when someone writes in {{title}}",
    someone: "Get notified when someone writes",
    turnOn: "Turn on",
    turningOn: "Turning on…",
    turnOnLabel: "Turn on notifications",
    turningOnLabel: "Turning on notifications…",
    dismissLabel: "Don't offer notifications again",
    dismissTitle: "Don't offer again",
  },
  unreachable:
    "Courier couldn't reach your browser's push service, so it can't notify you while this tab is closed. Everything else keeps working; try again later.",
};
