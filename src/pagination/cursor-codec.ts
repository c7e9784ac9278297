// Opaque, tamper-proof cursors. A cursor carries the sort key of one row plus what it was
// made for (the connection and its order); an HMAC over that and the customer's id means
// a cursor edited by hand, made for another list, or taken from another customer's page
// is refused as BAD_USER_INPUT instead of positioning anything.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { badUserInput } from "../errors.js";

export type CursorValue = string | number;

export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash("sha256").update(`cursor-signing:${secret}`).digest();
  }

  encode(kind: string, customerId: string, values: CursorValue[]): string {
    const payload = Buffer.from(JSON.stringify(values)).toString("base64url");
    return `${payload}.${this.sign(kind, customerId, payload)}`;
  }

  /** The values inside `cursor`, or BAD_USER_INPUT naming `argument`. */
  decode(kind: string, customerId: string, cursor: string, argument: string): CursorValue[] {
    const invalid = () => badUserInput(`The ${argument} cursor is not valid for this list.`, argument);
    const [payload, signature, extra] = cursor.split(".");
    if (!payload || !signature || extra !== undefined) throw invalid();
    const expected = Buffer.from(this.sign(kind, customerId, payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    const values: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (!Array.isArray(values)) throw invalid();
    return values as CursorValue[];
  }

  private sign(kind: string, customerId: string, payload: string): string {
    // 96 bits are plenty against guessing and keep cursors short.
    return createHmac("sha256", this.key)
      .update(`${kind}\n${customerId}\n${payload}`)
      .digest("base64url")
      .slice(0, 16);
  }
}
