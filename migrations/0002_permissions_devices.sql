CREATE TABLE `devices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`identity_key` text NOT NULL,
	`fcm_token` text NOT NULL,
	`device_id` text,
	`platform` text,
	`active` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_used` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_identity_token_uq` ON `devices` (`identity_key`,`fcm_token`);--> statement-breakpoint
CREATE TABLE `permissions` (
	`owner` text NOT NULL,
	`message_box` text NOT NULL,
	`sender` text NOT NULL,
	`recipient_fee` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `message_box`, `sender`)
);
