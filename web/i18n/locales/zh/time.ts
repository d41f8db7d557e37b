import type en from "../en/time.js";
import type { Translation } from "../../translation.js";

export default {
  now: "刚刚",
  minutes_other: "{{count}} 分钟前",
  today: "今天",
  yesterday: "昨天",
} satisfies Translation<typeof en>;
