import type en from "../en/search.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
