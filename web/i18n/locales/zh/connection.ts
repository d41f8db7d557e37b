import type en from "../en/connection.js";
import type { Translation } from "../../translation.js";

export default {
  status: {
    online: "在线",
    tooManyTabs: "Courier 打开的标签页太多了",
    reconnect: "重新连接",
    unreachable: "无法连接 Courier，正在重试…",
    tryNow: "立即重试",
    connecting: "连接中…",
    offline: "你已离线，恢复联网后消息会自动发送。",
  },
  menu: {
    label: "连接方式",
    automatic: "自动",
    hint: "这个浏览器的连接方式",
    forced: "已由页面地址指定（?{{param}}=）",
  },
  transports: {
    ws: "WebSocket",
    sse: "服务器推送（SSE）",
    poll: "长轮询",
  },
  delivery: {
    waiting: "等待网络连接",
    waitingShort: "等待中",
  },
  outbox: {
    expired: "未发送：等待网络连接的时间太久了。",
    photosGone: "这条消息的图片已不在这台设备上。",
    noPhotosHere: "这里无法发送图片。",
    unsupported: "这条消息需要更新版本的 Courier 才能查看",
  },
  session: {
    ended: "登录已失效，请重新登录。",
    offline: "你似乎已离线。",
    signedOutLocally: "已在这台设备上退出登录。Courier 会在连上服务器后结束该会话。",
    signedOutByAdmin: "管理员已将这台设备退出登录。未发送的消息会保留到你下次登录。",
    signedOutInOtherTab: "你已在另一个标签页退出登录。",
  },
  push: {
    permissionTimeout: "浏览器没有响应通知权限请求。你可以稍后在“设置”的“此浏览器上的通知”中开启。",
  },
  notice: {
    someone: "有人",
    yourGroup: "你的群聊",
    recalled: "{{name}}撤回了一条消息",
    deleted: "消息已删除",
  },
  crash: {
    title: "出了点问题",
    reload: "重新加载",
  },
} satisfies Translation<typeof en>;
