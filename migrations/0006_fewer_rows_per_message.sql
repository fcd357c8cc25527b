-- Fewer rows written per message (issue "cost per delivered message"); every index entry a write touches is a
-- billed row. The table is rebuilt because SQLite can drop neither AUTOINCREMENT nor a foreign key in place:
-- - `seq` without AUTOINCREMENT: no `sqlite_sequence` row written per send (new rows still get max(seq) + 1);
-- - `body_id` without its foreign key, so its index can be partial (shared bodies only, single-recipient
--   messages point at body 0 and write no entry);
-- - one inbox index (recipient, message_box, seq, expires_at, size) for listing, the inbox quotas and
--   listMessageBoxes, instead of two;
-- - no expiry index: the scheduled purge walks `seq` (src/db/messages.ts purgeExpired).
-- No table references `messages`, so dropping it checks no foreign key; its implicit DELETE fires no trigger,
-- so no body is released. The trigger goes with the old table and is created again below (on one line, see 0001).
CREATE TABLE `__new_messages` (
	`seq` integer PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`recipient` text NOT NULL,
	`message_box` text NOT NULL,
	`sender` text NOT NULL,
	`body_suffix` text,
	`body_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`size` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_messages`("seq", "message_id", "recipient", "message_box", "sender", "body_suffix", "body_id", "created_at", "expires_at", "size") SELECT "seq", "message_id", "recipient", "message_box", "sender", "body_suffix", "body_id", "created_at", "expires_at", "size" FROM `messages`;--> statement-breakpoint
DROP TABLE `messages`;--> statement-breakpoint
ALTER TABLE `__new_messages` RENAME TO `messages`;--> statement-breakpoint
CREATE UNIQUE INDEX `messages_recipient_message_id_uq` ON `messages` (`recipient`,`message_id`);--> statement-breakpoint
CREATE INDEX `messages_inbox_idx` ON `messages` (`recipient`,`message_box`,`seq`,`expires_at`,`size`);--> statement-breakpoint
CREATE INDEX `messages_sender_recipient_expires_idx` ON `messages` (`sender`,`recipient`,`expires_at`,`size`);--> statement-breakpoint
CREATE INDEX `messages_shared_body_idx` ON `messages` (`body_id`) WHERE body_id != 0;--> statement-breakpoint
CREATE TRIGGER `messages_release_body` AFTER DELETE ON `messages` WHEN OLD.`body_id` != 0 AND NOT EXISTS (SELECT 1 FROM `messages` WHERE `body_id` = OLD.`body_id` AND `body_id` != 0) BEGIN DELETE FROM `message_bodies` WHERE `id` = OLD.`body_id`; END;
