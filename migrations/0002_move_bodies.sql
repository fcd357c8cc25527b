-- Bodies of messages stored before 0001 move into message_bodies, one body per message (which rows
-- came from one send cannot be told apart reliably). Reusing seq as the body id pairs them without a
-- lookup; AUTOINCREMENT then continues above the largest id.
INSERT INTO `message_bodies` (`id`, `body`) SELECT `seq`, `body` FROM `messages` WHERE `body_id` IS NULL;
--> statement-breakpoint
UPDATE `messages` SET `body_id` = `seq` WHERE `body_id` IS NULL;
