/** Settings → Install Courier (web/features/install). */
export default {
  heading: "Install Courier",
  explain: "Open Courier in its own window, from your home screen or app list. It opens even without a network.",
  installing: "Installing…",
  install: "Install Courier",
};
