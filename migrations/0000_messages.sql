CREATE TABLE `message_bodies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_id` text NOT NULL,
	`recipient` text NOT NULL,
	`message_box` text NOT NULL,
	`sender` text NOT NULL,
	`body_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`body_id`) REFERENCES `message_bodies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_recipient_message_id_uq` ON `messages` (`recipient`,`message_id`);--> statement-breakpoint
CREATE INDEX `messages_recipient_box_seq_idx` ON `messages` (`recipient`,`message_box`,`seq`);--> statement-breakpoint
CREATE INDEX `messages_recipient_expires_idx` ON `messages` (`recipient`,`expires_at`);--> statement-breakpoint
CREATE INDEX `messages_expires_idx` ON `messages` (`expires_at`);--> statement-breakpoint
CREATE INDEX `messages_body_id_idx` ON `messages` (`body_id`);