// Outgoing mail behind one interface: SMTP (nodemailer) when SMTP_URL is set, else the outbox table that
// tests and the admin API read.
import nodemailer from 'nodemailer';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/knex.ts';
import { findOutboxMessages, insertOutboxMessage, type OutboxMessage } from '../db/queries/mail-outbox.ts';

export interface MailMessage {
  tenantId: string | null;
  to: string;
  subject: string;
  body: string;
  /** What the mail is for (`verify_email`, `password_reset`): lets tests and operators find it. */
  kind: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function createMailer(deps: { config: Pick<Config, 'smtpUrl' | 'mailFrom'>; db: Db }): Mailer {
  const { smtpUrl, mailFrom } = deps.config;
  if (!smtpUrl) return { send: (message) => insertOutboxMessage(deps.db, message) };
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    send: async (message) => {
      await transport.sendMail({ from: mailFrom, to: message.to, subject: message.subject, text: message.body });
    },
  };
}

/** The tenant's mail kept in the outbox, newest first (what the admin API shows). */
export function listOutbox(
  deps: { db: Db },
  tenantId: string,
  filter: { to?: string | undefined; limit: number },
): Promise<OutboxMessage[]> {
  return findOutboxMessages(deps.db, tenantId, filter);
}
