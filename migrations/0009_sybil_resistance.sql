-- Sybil resistance (issue "no handful of free identities can lock an inbox or fill the store"):
-- - `stranger`: 1 when the sender had no rule of the recipient's allowing it (in the box or in `*`) when it sent;
--   strangers together may hold only STRANGER_INBOX_SHARE of an inbox. The inbox index carries it, so the share is
--   summed in the range the inbox quotas already read (a wider entry, no extra row written per message).
-- - `network`: the sender's client network as a keyed hash; one network counts as one sender. Its index is the one
--   new entry per message: the network's total in the whole store is a range of it, as a sender's is of its own.
-- Rows from before count as allowed senders and belong to no network ('').
DROP INDEX `messages_inbox_idx`;--> statement-breakpoint
ALTER TABLE `messages` ADD `stranger` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `network` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_network_recipient_expires_idx` ON `messages` (`network`,`recipient`,`expires_at`,`size`);--> statement-breakpoint
CREATE INDEX `messages_inbox_idx` ON `messages` (`recipient`,`message_box`,`seq`,`expires_at`,`size`,`stranger`);
