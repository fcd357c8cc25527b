DROP INDEX `messages_recipient_expires_idx`;--> statement-breakpoint
ALTER TABLE `messages` ADD `size` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Messages stored before this migration get their body's size (added by hand to drizzle-kit's output).
UPDATE `messages` SET `size` = (SELECT octet_length(`body`) FROM `message_bodies` WHERE `id` = `messages`.`body_id`);--> statement-breakpoint
CREATE INDEX `messages_recipient_expires_size_idx` ON `messages` (`recipient`,`expires_at`,`size`);--> statement-breakpoint
CREATE INDEX `messages_sender_recipient_expires_idx` ON `messages` (`sender`,`recipient`,`expires_at`,`size`);