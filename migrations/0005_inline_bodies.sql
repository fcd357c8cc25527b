-- A send to one recipient keeps its body in its own row (`body_suffix`, which a paid send already uses for
-- each recipient's ending) and points `body_id` at this empty body, so it writes no body row and its
-- acknowledgement deletes none (issue "cost per delivered message": two D1 rows written fewer per message).
-- Bodies shared by several recipients stay in message_bodies, stored once. Id 0 is never generated.
INSERT INTO `message_bodies` (`id`, `body`) VALUES (0, '') ON CONFLICT DO NOTHING;--> statement-breakpoint
-- The shared empty body is never released; the trigger stays on one physical line (see 0001).
DROP TRIGGER `messages_release_body`;--> statement-breakpoint
CREATE TRIGGER `messages_release_body` AFTER DELETE ON `messages` WHEN OLD.`body_id` != 0 AND NOT EXISTS (SELECT 1 FROM `messages` WHERE `body_id` = OLD.`body_id`) BEGIN DELETE FROM `message_bodies` WHERE `id` = OLD.`body_id`; END;
