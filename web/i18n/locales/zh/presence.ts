import type en from "../en/presence.js";
import type { Translation } from "../../translation.js";

export default {
  setting: {
    heading: "在线状态",
    show: "显示我的在线状态",
    help: "关闭后，别人看不到你是否在线和最后上线时间，你也看不到别人的。“正在输入”仍会显示。",
  },
  online: "在线",
  lastSeen: {
    justNow: "刚刚在线",
    minutes_other: "{{count}} 分钟前在线",
    today: "今天 {{time}} 在线",
    yesterday: "昨天 {{time}} 在线",
    date: "{{date}} 在线",
  },
  typing: {
    direct: "对方正在输入…",
    one: "{{name}} 正在输入…",
    many: "{{number}} 人正在输入…",
  },
  location: {
    unavailable: "位置不可用",
    shared: "共享的位置",
    approximate: "大致位置：精确到约 100 米",
    open: "在 OpenStreetMap 中打开",
    share: "发送位置",
    finding: "正在获取你的位置…",
    dismiss: "关闭",
    blocked: "Courier 的位置权限已被屏蔽。要发送你的位置，请在浏览器设置中允许此网站使用位置信息，然后再试一次。",
    timeout: "获取位置超时，请再试一次。",
    unknown: "你的设备暂时无法确定你的位置，请再试一次。",
    unsupported: "此浏览器无法发送位置。",
    badLabel: "这个标注不能用。",
    dialogTitle: "发送你的位置",
    aboutHere: "大约在这里（精确到约 100 米）：<coords>{{coords}}</coords>",
    label: "标注（可选）",
    placeholder: "例如：在车站入口见",
    everyoneSees: "这个聊天里的所有人都能看到标注和位置。",
  },
} satisfies Translation<typeof en>;
