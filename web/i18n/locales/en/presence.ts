/** Online status, last seen, typing, and shared locations (web/features/presence). */
export default {
  setting: {
    heading: "Online status",
    show: "Show when I'm online",
    help: "When off, nobody sees when you're online or were last seen, and you don't see theirs. Typing still shows.",
  },
  online: "Online",
  lastSeen: {
    justNow: "Last seen just now",
    minutes_one: "Last seen {{count}} min ago",
    minutes_other: "Last seen {{count}} min ago",
    today: "Last seen today at {{time}}",
    yesterday: "Last seen yesterday at {{time}}",
    date: "Last seen {{date}}",
  },
  typing: {
    direct: "typing…",
    one: "{{name}} is typing…",
    many: "{{number}} people are typing…",
  },
  location: {
    unavailable: "Location unavailable",
    shared: "Shared location",
    approximate: "Approximate: rounded to about 100 m",
    open: "Open in OpenStreetMap",
    share: "Share location",
    finding: "Finding where you are…",
    dismiss: "Dismiss",
    blocked: "Location access is blocked for Courier. To share where you are, allow location for this site in your browser's settings, then try again.",
    timeout: "Finding where you are took too long. Try again.",
    unknown: "Your device couldn't tell where you are right now. Try again.",
    unsupported: "This browser can't share a location.",
    badLabel: "That label can't be used.",
    dialogTitle: "Share your location",
    /** The rounded coordinates follow, in an element of their own. */
    aboutHere: "About here (rounded to roughly 100 m): <coords>{{coords}}</coords>",
    label: "Label (optional)",
    placeholder: "e.g. Meet at the station entrance",
    everyoneSees: "Everyone in this chat sees the label and the place.",
  },
};
