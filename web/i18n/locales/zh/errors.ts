import type en from "../en/errors.js";
import type { Translation } from "../../translation.js";

export default {
  codes: {
    bad_request: "操作失败：内容有误。",
    unauthorized: "请重新登录后继续。",
    forbidden: "你无法在这里执行此操作。",
    not_found: "内容已不存在。",
    timeout: "请求超时，请重试。",
    conflict: "内容已发生变化，请查看后重试。",
    too_large: "内容太大。",
    unsupported_media_type: "Courier 无法显示此文件（支持 JPEG、PNG、WebP 或 GIF 图片）。",
    rate_limited: "尝试次数过多，请稍后再试。",
    internal: "服务器出错了，请重试。",
    unavailable: "Courier 暂时无法使用，请稍后再试。",
  },
  offline: "你似乎已离线，恢复联网后再试。",
  unknown: "出了点问题。",
} satisfies Translation<typeof en>;
