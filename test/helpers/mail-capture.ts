// The test servers' mail transport: mail the server delivers lands here, where a test reads it as its recipient
// would (never through the admin API or the outbox table, which hold no readable secret).
import type { MailTransport } from '../../src/services/mail.ts';

export interface DeliveredMail {
  tenantId: string | null;
  to: string;
  subject: string;
  body: string;
  kind: string;
}

export interface MailCapture {
  transport: MailTransport;
  /** Every mail delivered so far, oldest first. */
  delivered: DeliveredMail[];
  /** The first mail to `to` (any case) of `kind` not taken before, once it is delivered; taking it marks it taken. */
  take(to: string, kind: string): Promise<DeliveredMail>;
}

export function createMailCapture(): MailCapture {
  const delivered: DeliveredMail[] = [];
  const taken = new Set<DeliveredMail>();
  let arrived: () => void = () => undefined;
  const nextArrival = () => new Promise<void>((resolve) => (arrived = resolve));
  let arrival = nextArrival();
  return {
    delivered,
    transport: {
      deliver: async (mail) => {
        delivered.push({ ...mail });
        const wake = arrived;
        arrival = nextArrival();
        wake();
      },
    },
    async take(to, kind) {
      for (;;) {
        const waiting = arrival;
        const mail = delivered.find((m) => !taken.has(m) && m.to.toLowerCase() === to.toLowerCase() && m.kind === kind);
        if (mail) {
          taken.add(mail);
          return mail;
        }
        await waiting;
      }
    },
  };
}
