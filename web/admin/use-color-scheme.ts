import { useEffect, useState } from "react";

const DARK = "(prefers-color-scheme: dark)";

/** "light" or "dark", following the system; charts redraw with the other palette when it changes. */
export function useColorScheme(): "light" | "dark" {
  const query = typeof matchMedia === "function" ? matchMedia(DARK) : null;
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const onChange = () => setDark(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
    // One listener for the page's life: the query object is recreated each render but says the same.
  }, []);
  return dark ? "dark" : "light";
}
