import type en from "../en/install.js";
import type { Translation } from "../../translation.js";

export default {} satisfies Translation<typeof en>;
