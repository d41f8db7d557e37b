/** Settings: the page, notifications, privacy, advanced (web/features/settings). */
export default {
  title: "Settings",
  backToConversations: "Back to conversations",
  notifications: {
    heading: "Notifications on this browser",
    checking: "Checking…",
    unsupported: "This browser can't show notifications from Courier. Messages still arrive while Courier is open.",
    blocked: "Notifications are blocked for Courier in this browser, so we can't ask again.",
    /** <strong> around the browser's own words (Notifications, Allow), as the browser shows them. */
    howToAllow:
      "To turn them on: on a computer, click the icon at the left of the address bar; on a phone, open the browser's menu. Then open the site settings, set <strong>Notifications</strong> to <strong>Allow</strong>, and come back to this page.",
    toggle: "Notify me about new messages and orders when Courier is in the background or closed",
  },
  privacy: {
    heading: "Privacy",
    hidePreviews: "Hide message previews in notifications (they say who wrote, not what)",
  },
  advanced: {
    heading: "Advanced",
    connectedOver: "Connected over {{transport}}.",
    notConnected: "Not connected right now.",
    automatic: "Automatic picks the best way this network allows. Choose one only if messages stall on a network that needs it.",
  },
};
