CREATE TABLE `message_bodies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `messages` ADD `body_id` integer REFERENCES message_bodies(id);--> statement-breakpoint
CREATE INDEX `messages_body_id_idx` ON `messages` (`body_id`);