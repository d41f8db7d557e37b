import { describe, expect, it } from "vitest";
import { i18n } from "../../i18n/index.js";
import { checkPhotos, fitWithin, photoText } from "./attach.js";

const MB = 1024 * 1024;
const file = (name: string, type = "image/jpeg", size = 1000) => ({ name, type, size });

describe("checkPhotos", () => {
  it("takes photos the server takes, in order", () => {
    const files = [file("a.jpg"), file("b.png", "image/png"), file("c.webp", "image/webp"), file("d.gif", "image/gif")];
    expect(checkPhotos(0, files)).toEqual({ accepted: files, problems: [] });
  });

  it("says which files are not photos, including SVG and HEIC, and keeps the rest", () => {
    const { accepted, problems } = checkPhotos(0, [file("notes.pdf", "application/pdf"), file("ok.jpg"), file("logo.svg", "image/svg+xml"), file("", "image/heic")]);
    expect(accepted.map((f) => f.name)).toEqual(["ok.jpg"]);
    expect(problems).toEqual(['"notes.pdf", "logo.svg" and 1 more aren\'t photos Courier can send (JPEG, PNG, WebP or GIF).']);
  });

  it("refuses a photo over 10 MB and takes one of exactly 10 MB", () => {
    const { accepted, problems } = checkPhotos(0, [file("big.jpg", "image/jpeg", 10 * MB + 1), file("edge.jpg", "image/jpeg", 10 * MB)]);
    expect(accepted.map((f) => f.name)).toEqual(["edge.jpg"]);
    expect(problems).toEqual(['"big.jpg" is larger than 10 MB.']);
  });

  it("stops at 9 photos per message, counting those already attached", () => {
    const files = Array.from({ length: 5 }, (_, i) => file(`${i}.jpg`));
    const { accepted, problems } = checkPhotos(6, files);
    expect(accepted.map((f) => f.name)).toEqual(["0.jpg", "1.jpg", "2.jpg"]);
    expect(problems).toEqual(["At most 9 photos per message: 2 were left out."]);
    expect(checkPhotos(9, [file("x.jpg")]).problems).toEqual(["At most 9 photos per message: 1 was left out."]);
  });
});

describe("photoText", () => {
  it("is [Photo], with the caption after it when there is one", () => {
    expect(photoText("")).toBe("[Photo]");
    expect(photoText("Both sides")).toBe("[Photo] Both sides");
  });
});

describe("fitWithin", () => {
  it("scales the longer side down to the box and never up", () => {
    expect(fitWithin(640, 480, 240)).toEqual({ width: 240, height: 180 });
    expect(fitWithin(100, 300, 240)).toEqual({ width: 80, height: 240 });
    expect(fitWithin(50, 40, 240)).toEqual({ width: 50, height: 40 });
    expect(fitWithin(undefined, 40, 240)).toEqual({ width: 240, height: 240 });
  });
});

describe("in Chinese", () => {
  it("says what was left out, and [图片] for a photo message", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(checkPhotos(0, [file("notes.pdf", "application/pdf"), file("", "image/heic")]).problems).toEqual(["“notes.pdf”和粘贴的文件不是 Courier 能发送的图片（支持 JPEG、PNG、WebP 或 GIF）。"]);
      expect(checkPhotos(0, [file("big.jpg", "image/jpeg", 10 * MB + 1)]).problems).toEqual(["“big.jpg”超过了 10 MB。"]);
      expect(checkPhotos(9, [file("x.jpg"), file("y.jpg")]).problems).toEqual(["每条消息最多 9 张图片，有 2 张没有添加。"]);
      expect(photoText("")).toBe("[图片]");
      expect(photoText("正反面")).toBe("[图片] 正反面");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
