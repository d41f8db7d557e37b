import type en from "../en/shell.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
