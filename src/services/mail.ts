// Outgoing mail through a durable queue, the mail_outbox table (docs/security.md, "Secrets at rest: mail"): a
// request queues its mail and returns; a background loop in every process composes queued requests and delivers
// through the transport (SMTP when SMTP_URL is set). The table keeps each mail whole only encrypted for this
// mailer; the admin API sees it with its secret redacted.
import nodemailer from 'nodemailer';
import type { Knex } from 'knex';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import {
  claimUnsentMailAcrossTenants,
  composeQueuedMail,
  deleteQueuedMail,
  findOutboxMessages,
  insertComposedMail,
  insertMailRequest,
  markMailUnsent,
  markMailSent,
  type OutboxMessage,
  type QueuedMail,
} from '../db/queries/mail-outbox.ts';
import { decryptSecret, encryptSecret } from './encryption.ts';
import { queueDrainer } from './queue-drain.ts';

export interface MailMessage {
  tenantId: string | null;
  to: string;
  subject: string;
  body: string;
  /** What the mail is for (`verify_email`, `password_reset`, `account_exists`, `account_locked`): lets operators find it. */
  kind: string;
  /** The secret the body carries (a token): stored only encrypted, shown as `[redacted]`. */
  secret?: string;
}

/** Where composed mail goes: SMTP in production; tests inject one that hands them the mail as a user gets it. */
export interface MailTransport {
  deliver(mail: { tenantId: string | null; to: string; subject: string; body: string; kind: string }): Promise<void>;
}

/** Composes a queued request into a mail, inside the claiming transaction; undefined drops it (nobody to tell). */
export type MailComposer = (trx: Knex.Transaction, request: QueuedMail & { tenantId: string }) => Promise<MailMessage | undefined>;

export interface Mailer {
  /** Queues a composed mail; it is delivered in the background. */
  send(message: MailMessage): Promise<void>;
  /** Queues a mail to compose in the background from its user (none: the request is dropped there). */
  request(request: { tenantId: string; userId: string | null; to: string; kind: string }): Promise<void>;
  /** Composes and delivers what is queued now; the background loop calls it too. */
  drain(): Promise<void>;
}

const BATCH = 20;
const MAX_ATTEMPTS = 5;
const POLL_MS = 5000;

export const REDACTED = '[redacted]';

export function smtpTransport(config: Pick<Config, 'smtpUrl' | 'mailFrom'>): MailTransport | undefined {
  if (!config.smtpUrl) return undefined;
  const transport = nodemailer.createTransport(config.smtpUrl);
  return {
    deliver: async (mail) => {
      await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.body });
    },
  };
}

export function createMailer(
  deps: { config: Pick<Config, 'secretKey'>; db: Db; logger: Logger; shuttingDown?: boolean },
  options: { transport: MailTransport | undefined; composers: Record<string, MailComposer> },
): Mailer {
  const { transport, composers } = options;
  const seal = (message: MailMessage) => ({
    body: message.secret ? message.body.replaceAll(message.secret, REDACTED) : message.body,
    sealedBody: encryptSecret(deps.config.secretKey, JSON.stringify({ subject: message.subject, body: message.body })),
  });

  /**
   * Composes and claims a batch in one transaction, then delivers after the commit (a slow SMTP server holds no
   * locks, and a delivered mail is never in a state other processes cannot see). A failed delivery goes back
   * into the queue; a process that dies between the commit and the delivery loses that mail (at most once).
   */
  async function processBatch(): Promise<number> {
    const claimed = await deps.db.transaction(async (trx) => {
      const rows = await claimUnsentMailAcrossTenants(trx, { limit: BATCH, deliverable: Boolean(transport), maxAttempts: MAX_ATTEMPTS });
      const deliveries: Array<{ row: QueuedMail; sealedBody: string }> = [];
      for (const row of rows) {
        let sealedBody = row.sealedBody;
        if (sealedBody === null) {
          const compose = composers[row.kind];
          const message = compose && row.tenantId ? await compose(trx, { ...row, tenantId: row.tenantId }) : undefined;
          if (!message || !row.tenantId) {
            await deleteQueuedMail(trx, row.tenantId ?? '', row.id);
            continue;
          }
          const sealed = seal(message);
          await composeQueuedMail(trx, row.tenantId, row.id, { to: message.to, subject: message.subject, ...sealed });
          sealedBody = sealed.sealedBody;
          row.to = message.to;
        }
        if (!transport) continue;
        await markMailSent(trx, row.tenantId, row.id);
        deliveries.push({ row, sealedBody });
      }
      return { count: rows.length, deliveries };
    });
    for (const { row, sealedBody } of claimed.deliveries) {
      const { subject, body } = JSON.parse(decryptSecret(deps.config.secretKey, sealedBody)) as { subject: string; body: string };
      try {
        await transport?.deliver({ tenantId: row.tenantId, to: row.to, subject, body, kind: row.kind });
      } catch (err) {
        // The error message only: the mail itself carries a secret.
        deps.logger.warn({ mailId: row.id, kind: row.kind, error: (err as Error).message }, 'mail delivery failed');
        await markMailUnsent(deps.db, row.tenantId, row.id);
      }
    }
    return claimed.count;
  }

  const drain = queueDrainer(processBatch, BATCH, () => deps.shuttingDown === true);
  const kick = () => {
    drain().catch((err: Error) => deps.logger.warn({ error: err.message }, 'mail queue processing failed'));
  };
  const poll = setInterval(() => (deps.shuttingDown ? clearInterval(poll) : kick()), POLL_MS);
  poll.unref();

  return {
    send: async (message) => {
      const sealed = seal(message);
      await insertComposedMail(deps.db, {
        tenantId: message.tenantId,
        to: message.to,
        subject: message.subject,
        kind: message.kind,
        ...sealed,
      });
      kick();
    },
    request: async (request) => {
      await insertMailRequest(deps.db, request);
      kick();
    },
    drain,
  };
}

/** The tenant's mail in the outbox, newest first, secrets redacted (what the admin API shows). */
export function listOutbox(
  deps: { db: Db },
  tenantId: string,
  filter: { to?: string | undefined; limit: number },
): Promise<OutboxMessage[]> {
  return findOutboxMessages(deps.db, tenantId, filter);
}
