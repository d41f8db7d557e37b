import type en from "../en/photos.js";
import type { Translation } from "../../translation.js";

export default {
  text: "[图片]",
  textWithCaption: "[图片] {{caption}}",
  attach: {
    button: "添加图片",
    add: "添加图片",
    tray_other: "{{count}} 张待发送的图片",
    toSend: "待发送的第 {{n}} 张图片",
    remove: "移除第 {{n}} 张图片",
    removeMark: "×",
  },
  check: {
    notPhotos_other: "{{names}}不是 Courier 能发送的图片（支持 JPEG、PNG、WebP 或 GIF）。",
    tooLarge_other: "{{names}}超过了 {{mb}} MB。",
    tooMany_other: "每条消息最多 {{max}} 张图片，有 {{count}} 张没有添加。",
    fileName: "“{{name}}”",
    pasted: "粘贴的文件",
    two: "{{first}}和{{second}}",
    more: "{{first}}、{{second}}及另外 {{count}} 个文件",
  },
  grid: {
    from: "{{name}}发来的图片",
    fromYou: "你发送的图片",
    sending: "正在发送的图片",
    open: "查看图片",
    broken: "无法显示这张图片",
    brokenLabel: "{{alt}}（无法显示）",
    uploading: "正在上传图片：{{percent}}%",
    uploaded: "{{done}} / {{total}}",
  },
  viewer: {
    position: "{{n}} / {{total}}",
    alt: "{{label}}，第 {{n}} 张，共 {{total}} 张",
    error: "这张图片加载失败。",
    previous: "上一张",
    next: "下一张",
  },
  listing: {
    of: "{{title}}的图片",
    field: "图片",
    tray: "商品图片",
    photo: "商品图片 {{n}}",
    remove: "移除商品图片 {{n}}",
    upTo: "最多 {{max}} 张图片",
    uploading: "正在上传第 {{n}} 张图片（共 {{total}} 张）…",
    uploadingPercent: "正在上传第 {{n}} 张图片（共 {{total}} 张，{{percent}}%）…",
  },
} satisfies Translation<typeof en>;
