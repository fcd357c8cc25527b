CREATE TABLE `payments` (
	`txid` text PRIMARY KEY NOT NULL,
	`sender` text NOT NULL,
	`created_at` integer NOT NULL,
	`delivery_satoshis` integer,
	`derivation_prefix` text,
	`derivation_suffix` text,
	`beef` text
);
--> statement-breakpoint
ALTER TABLE `messages` ADD `body_suffix` text;