// Prisma errors that a client's input can cause, turned into the contract's codes.
import { Prisma } from "../generated/prisma/client.js";

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

/** "Record to update/delete does not exist" (for the caller: not one of theirs). */
export function isMissingRow(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2025";
}

/** A foreign key found no row: the parent was deleted meanwhile (for the caller: not found). */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003";
}
