import type en from "../en/notifications.js";
import type { Translation } from "../../translation.js";

export default {
  offer: {
    label: "通知",
    direct: "{{name}} 发消息时通知我",
    group: "有人在“{{title}}”里发消息时通知我",
    someone: "有人发消息时通知我",
    turnOn: "开启",
    turningOn: "正在开启…",
    turnOnLabel: "开启通知",
    turningOnLabel: "正在开启通知…",
    dismissLabel: "不再提示开启通知",
    dismissTitle: "不再提示",
  },
  unreachable: "Courier 连不上你浏览器的推送服务，所以关闭此标签页后无法通知你。其他功能照常使用，请稍后再试。",
} satisfies Translation<typeof en>;
