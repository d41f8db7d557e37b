import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { idSchema, parseInput } from "../../shared/protocol/index.js";

const idParams = z.object({ id: idSchema });

/** The `:id` of a route, validated like any other input. */
export function idParam(req: FastifyRequest): string {
  return parseInput(idParams, req.params, "path").id;
}

