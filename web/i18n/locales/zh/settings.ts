import type en from "../en/settings.js";
import type { Translation } from "../../translation.js";

export default {
  title: "设置",
  backToConversations: "返回会话列表",
  notifications: {
    heading: "此浏览器上的通知",
    checking: "正在检查…",
    unsupported: "此浏览器无法显示 Courier 的通知。Courier 打开时，消息照常送达。",
    blocked: "此浏览器已屏蔽 Courier 的通知，所以我们无法再次询问。",
    howToAllow:
      "开启方法：在电脑上，点击地址栏左侧的图标；在手机上，打开浏览器的菜单。然后打开网站设置，把<strong>通知</strong>设为<strong>允许</strong>，再回到这个页面。",
    toggle: "Courier 在后台或已关闭时，有新消息和订单通知我",
  },
  privacy: {
    heading: "隐私",
    hidePreviews: "在通知中隐藏消息预览（只显示是谁发的，不显示内容）",
  },
  advanced: {
    heading: "高级",
    connectedOver: "已通过 {{transport}} 连接。",
    notConnected: "当前未连接。",
    automatic: "“自动”会选择当前网络下最好的连接方式。只有在某个网络上消息卡住时，才需要手动选择。",
  },
} satisfies Translation<typeof en>;
