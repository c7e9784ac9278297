// Open jobUpdated subscriptions per customer in this process (JOB_SUBSCRIPTIONS_PER_CUSTOMER):
// each one holds an HTTP stream and a follower, so one customer cannot open them without
// end. A slot is taken before the subscription starts and given back when it ends.

export class JobSubscriptionSlots {
  private readonly open = new Map<string, number>();

  constructor(readonly perCustomer: number) {}

  /** A release function (idempotent), or null when the customer's slots are all taken. */
  take(customerId: string): (() => void) | null {
    const count = this.open.get(customerId) ?? 0;
    if (count >= this.perCustomer) return null;
    this.open.set(customerId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(customerId) ?? 1) - 1;
      if (left === 0) this.open.delete(customerId);
      else this.open.set(customerId, left);
    };
  }

  openFor(customerId: string): number {
    return this.open.get(customerId) ?? 0;
  }
}
