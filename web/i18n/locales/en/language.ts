/** Settings → Language. Each language's own name is written in that language, so anyone can find theirs. */
export default {
  heading: "Language",
  system: "Same as this browser ({{language}})",
  names: {
    en: "English",
    zh: "简体中文",
  },
};
