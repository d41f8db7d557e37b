/** Relative times and day names; clock times and dates come from Intl (web/lib/time.ts). */
export default {
  now: "now",
  minutes_one: "{{count}} min",
  minutes_other: "{{count}} min",
  today: "Today",
  yesterday: "Yesterday",
};
